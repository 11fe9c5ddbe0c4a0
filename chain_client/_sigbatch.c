/*
 * Ed25519 verification of many messages with one release of the interpreter lock.
 *
 * PyNaCl releases the GIL around each libsodium call, but a verifier thread
 * then has to win the GIL back after every signature; beside a busy Python
 * thread it waits a whole switch interval (5 ms) each time, so one process
 * verifies a few hundred signatures a second instead of twenty thousand.
 * This module checks a whole list of signatures in one C loop with the GIL
 * released.
 *
 * The verify function is libsodium's crypto_sign_verify_detached (the check
 * that crypto_sign_open, and so PyNaCl's VerifyKey.verify, performs), found
 * here and nowhere else: the module opens the libsodium that PyNaCl loads
 * (its extension module `_sodium`, beside the public `nacl` package, which
 * bundles libsodium or links the system's) and looks the symbol up by name.
 * Before the module imports, that function must give the right answers on a
 * known signature (RFC 8032, test 1) and on a forged one; otherwise the
 * import fails and the caller falls back to PyNaCl.  No address or pointer
 * is ever taken from Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <string.h>

#define SIGNATURE_BYTES 64
#define PUBLIC_KEY_BYTES 32

typedef int (*verify_fn)(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                         const unsigned char *pk);
typedef size_t (*size_fn)(void);
typedef int (*init_fn)(void);

static verify_fn verify_detached = NULL;

/* RFC 8032 section 7.1, TEST 1: the empty message. */
static const unsigned char KAT_PUBLIC_KEY[PUBLIC_KEY_BYTES] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
static const unsigned char KAT_SIGNATURE[SIGNATURE_BYTES] = {
    0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a,
    0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55,
    0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
    0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b};

/* The path of PyNaCl's `_sodium` extension module: a new reference to a str, or NULL with an error set. */
static PyObject *sodium_path(void) {
    PyObject *nacl = PyImport_ImportModule("nacl.bindings"); /* also runs PyNaCl's sodium_init */
    if (nacl == NULL) {
        return NULL;
    }
    Py_DECREF(nacl);
    PyObject *package = PyImport_ImportModule("nacl");
    PyObject *machinery = PyImport_ImportModule("importlib.machinery");
    PyObject *os_path = PyImport_ImportModule("os.path");
    PyObject *found = NULL, *locations = NULL, *suffixes = NULL;
    if (package == NULL || machinery == NULL || os_path == NULL) {
        goto done;
    }
    locations = PyObject_GetAttrString(package, "__path__");
    suffixes = PyObject_GetAttrString(machinery, "EXTENSION_SUFFIXES");
    if (locations == NULL || suffixes == NULL) {
        goto done;
    }
    PyObject *location_iter = PyObject_GetIter(locations);
    if (location_iter == NULL) {
        goto done;
    }
    PyObject *location;
    while (found == NULL && !PyErr_Occurred() && (location = PyIter_Next(location_iter)) != NULL) {
        Py_ssize_t n = PySequence_Size(suffixes);
        for (Py_ssize_t i = 0; found == NULL && i < n; i++) {
            PyObject *suffix = PySequence_GetItem(suffixes, i);
            PyObject *path = suffix == NULL ? NULL : PyUnicode_FromFormat("%U/_sodium%U", location, suffix);
            Py_XDECREF(suffix);
            if (path == NULL) {
                break;
            }
            PyObject *exists = PyObject_CallMethod(os_path, "isfile", "O", path);
            if (exists != NULL && PyObject_IsTrue(exists) == 1) {
                found = Py_NewRef(path);
            }
            Py_XDECREF(exists);
            Py_DECREF(path);
        }
        Py_DECREF(location);
    }
    Py_DECREF(location_iter);
    if (found == NULL && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_ImportError, "_sigbatch: PyNaCl's _sodium module is not beside the nacl package");
    }
done:
    Py_XDECREF(locations);
    Py_XDECREF(suffixes);
    Py_XDECREF(package);
    Py_XDECREF(machinery);
    Py_XDECREF(os_path);
    return found;
}

/* Open PyNaCl's libsodium, find crypto_sign_verify_detached and check it; 0 on success, -1 with ImportError. */
static int load_libsodium(void) {
    PyObject *path = sodium_path();
    if (path == NULL) {
        return -1;
    }
    const char *cpath = PyUnicode_AsUTF8(path);
    if (cpath == NULL) {
        Py_DECREF(path);
        return -1;
    }
    /* Already loaded by `import nacl.bindings`: this takes another reference, never closed. */
    void *library = dlopen(cpath, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        PyErr_Format(PyExc_ImportError, "_sigbatch: cannot open %U: %s", path, dlerror());
        Py_DECREF(path);
        return -1;
    }
    /* ISO C forbids converting object pointers to function pointers; POSIX dlsym requires it to work. */
    init_fn sodium_init = (init_fn)dlsym(library, "sodium_init");
    size_fn sign_bytes = (size_fn)dlsym(library, "crypto_sign_bytes");
    size_fn key_bytes = (size_fn)dlsym(library, "crypto_sign_publickeybytes");
    verify_fn verify = (verify_fn)dlsym(library, "crypto_sign_verify_detached");
    if (sodium_init == NULL || sign_bytes == NULL || key_bytes == NULL || verify == NULL) {
        PyErr_Format(PyExc_ImportError, "_sigbatch: %U lacks libsodium's Ed25519 functions", path);
        Py_DECREF(path);
        return -1;
    }
    unsigned char forged[SIGNATURE_BYTES];
    memcpy(forged, KAT_SIGNATURE, SIGNATURE_BYTES);
    forged[0] ^= 1;
    if (sodium_init() < 0 || sign_bytes() != SIGNATURE_BYTES || key_bytes() != PUBLIC_KEY_BYTES ||
        verify(KAT_SIGNATURE, (const unsigned char *)"", 0, KAT_PUBLIC_KEY) != 0 ||
        verify(forged, (const unsigned char *)"", 0, KAT_PUBLIC_KEY) == 0) {
        PyErr_Format(PyExc_ImportError, "_sigbatch: crypto_sign_verify_detached of %U fails its self-test", path);
        Py_DECREF(path);
        return -1;
    }
    Py_DECREF(path);
    verify_detached = verify;
    return 0;
}

PyDoc_STRVAR(verify_many_doc,
             "verify_many(keys, signatures, messages, /) -> bytes\n"
             "\n"
             "Check each Ed25519 signature against the public key and the message at the same\n"
             "index (three sequences of bytes of the same length).  Returns one byte per item:\n"
             "1 if the signature verifies, 0 if not (forged, or a key or signature of the wrong\n"
             "size).  Arguments of the wrong type or lengths that differ raise TypeError or\n"
             "ValueError.");

/* A tuple holding every item of ``arg``, each of them bytes; NULL with an error set otherwise. */
static PyObject *bytes_tuple(PyObject *arg, const char *name) {
    PyObject *items = PySequence_Tuple(arg);
    if (items == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Format(PyExc_TypeError, "verify_many: %s must be a sequence of bytes", name);
        }
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(items, i))) {
            PyErr_Format(PyExc_TypeError, "verify_many: %s item %zd is %.100s, not bytes", name, i,
                         Py_TYPE(PyTuple_GET_ITEM(items, i))->tp_name);
            Py_DECREF(items);
            return NULL;
        }
    }
    return items;
}

static PyObject *verify_many(PyObject *module, PyObject *args) {
    PyObject *keys_arg, *signatures_arg, *messages_arg;
    if (!PyArg_ParseTuple(args, "OOO:verify_many", &keys_arg, &signatures_arg, &messages_arg)) {
        return NULL;
    }
    /* Tuples of bytes hold a reference to every (immutable) item while the lock is released. */
    PyObject *keys = bytes_tuple(keys_arg, "keys");
    PyObject *signatures = keys == NULL ? NULL : bytes_tuple(signatures_arg, "signatures");
    PyObject *messages = signatures == NULL ? NULL : bytes_tuple(messages_arg, "messages");
    PyObject *result = NULL;
    if (messages == NULL) {
        goto done;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(keys);
    if (PyTuple_GET_SIZE(signatures) != count || PyTuple_GET_SIZE(messages) != count) {
        PyErr_Format(PyExc_ValueError, "verify_many: %zd keys, %zd signatures and %zd messages", count,
                     PyTuple_GET_SIZE(signatures), PyTuple_GET_SIZE(messages));
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count);
    if (result == NULL) {
        goto done;
    }
    unsigned char *verdicts = (unsigned char *)PyBytes_AS_STRING(result);
    PyObject **key_items = &PyTuple_GET_ITEM(keys, 0);
    PyObject **signature_items = &PyTuple_GET_ITEM(signatures, 0);
    PyObject **message_items = &PyTuple_GET_ITEM(messages, 0);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = key_items[i], *signature = signature_items[i], *message = message_items[i];
        verdicts[i] = PyBytes_GET_SIZE(key) == PUBLIC_KEY_BYTES && PyBytes_GET_SIZE(signature) == SIGNATURE_BYTES &&
                      verify_detached((const unsigned char *)PyBytes_AS_STRING(signature),
                                      (const unsigned char *)PyBytes_AS_STRING(message),
                                      (unsigned long long)PyBytes_GET_SIZE(message),
                                      (const unsigned char *)PyBytes_AS_STRING(key)) == 0;
    }
    Py_END_ALLOW_THREADS
done:
    Py_XDECREF(keys);
    Py_XDECREF(signatures);
    Py_XDECREF(messages);
    return result;
}

static PyMethodDef methods[] = {
    {"verify_many", verify_many, METH_VARARGS, verify_many_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sigbatch", "Ed25519 verification of many messages per release of the GIL.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__sigbatch(void) {
    if (verify_detached == NULL && load_libsodium() < 0) {
        return NULL;
    }
    return PyModule_Create(&module);
}
