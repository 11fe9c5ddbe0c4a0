/*
 * Ed25519 verification of many messages with one release of the interpreter lock.
 *
 * PyNaCl releases the GIL around each libsodium call, but a verifier thread
 * then has to win the GIL back after every signature; beside a busy Python
 * thread it waits a whole switch interval (5 ms) each time, so one process
 * verifies a few hundred signatures a second instead of twenty thousand.
 * This module checks a whole list of signatures in one C loop with the GIL
 * released.  It calls libsodium's crypto_sign_open through a function
 * pointer handed over by gateway/signatures.py, taken from PyNaCl's own
 * libsodium, so the verification is exactly the one PyNaCl performs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

#define SIGNATURE_BYTES 64
#define PUBLIC_KEY_BYTES 32

typedef int (*sign_open_fn)(unsigned char *m, unsigned long long *mlen, const unsigned char *sm,
                            unsigned long long smlen, const unsigned char *pk);

PyDoc_STRVAR(open_many_doc,
             "open_many(address, signed, keys, /) -> bytes\n"
             "\n"
             "Check each signed message (64-byte signature followed by the message) against the\n"
             "32-byte public key at the same index, calling the crypto_sign_open function at\n"
             "``address``.  Returns one byte per message: 1 if the signature verifies, 0 if not\n"
             "(a forged signature, a message shorter than a signature, or a key of the wrong size).");

static PyObject *open_many(PyObject *module, PyObject *args) {
    unsigned long long address;
    PyObject *signed_arg, *keys_arg;
    if (!PyArg_ParseTuple(args, "KOO:open_many", &address, &signed_arg, &keys_arg)) {
        return NULL;
    }
    if (address == 0) {
        PyErr_SetString(PyExc_ValueError, "open_many: the crypto_sign_open address is 0");
        return NULL;
    }
    /* Tuples hold a reference to every item, so no buffer can go away while the lock is released. */
    PyObject *messages = PySequence_Tuple(signed_arg);
    if (messages == NULL) {
        return NULL;
    }
    PyObject *keys = PySequence_Tuple(keys_arg);
    if (keys == NULL) {
        Py_DECREF(messages);
        return NULL;
    }
    PyObject *result = NULL;
    const unsigned char **message_ptrs = NULL;
    const unsigned char **key_ptrs = NULL;
    unsigned long long *lengths = NULL;
    unsigned char *scratch = NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(messages);
    if (PyTuple_GET_SIZE(keys) != count) {
        PyErr_Format(PyExc_ValueError, "open_many: %zd messages but %zd keys", count, PyTuple_GET_SIZE(keys));
        goto done;
    }
    message_ptrs = PyMem_Malloc(sizeof(*message_ptrs) * (size_t)(count + 1));
    key_ptrs = PyMem_Malloc(sizeof(*key_ptrs) * (size_t)(count + 1));
    lengths = PyMem_Malloc(sizeof(*lengths) * (size_t)(count + 1));
    if (message_ptrs == NULL || key_ptrs == NULL || lengths == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    size_t longest = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *message = PyTuple_GET_ITEM(messages, i);
        PyObject *key = PyTuple_GET_ITEM(keys, i);
        if (!PyBytes_Check(message) || !PyBytes_Check(key)) {
            PyErr_Format(PyExc_TypeError, "open_many: item %zd: messages and keys must be bytes", i);
            goto done;
        }
        message_ptrs[i] = (const unsigned char *)PyBytes_AS_STRING(message);
        lengths[i] = (unsigned long long)PyBytes_GET_SIZE(message);
        key_ptrs[i] =
            PyBytes_GET_SIZE(key) == PUBLIC_KEY_BYTES ? (const unsigned char *)PyBytes_AS_STRING(key) : NULL;
        if ((size_t)lengths[i] > longest) {
            longest = (size_t)lengths[i];
        }
    }
    result = PyBytes_FromStringAndSize(NULL, count);
    scratch = PyMem_RawMalloc(longest + 1); /* crypto_sign_open writes the opened message here */
    if (result == NULL || scratch == NULL) {
        Py_CLEAR(result);
        if (scratch == NULL) {
            PyErr_NoMemory();
        }
        goto done;
    }
    unsigned char *verdicts = (unsigned char *)PyBytes_AS_STRING(result);
    sign_open_fn sign_open = (sign_open_fn)(uintptr_t)address;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        unsigned long long opened;
        verdicts[i] = key_ptrs[i] != NULL && lengths[i] >= SIGNATURE_BYTES &&
                      sign_open(scratch, &opened, message_ptrs[i], lengths[i], key_ptrs[i]) == 0;
    }
    Py_END_ALLOW_THREADS
done:
    PyMem_RawFree(scratch);
    PyMem_Free(message_ptrs);
    PyMem_Free(key_ptrs);
    PyMem_Free(lengths);
    Py_DECREF(messages);
    Py_DECREF(keys);
    return result;
}

static PyMethodDef methods[] = {
    {"open_many", open_many, METH_VARARGS, open_many_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sigbatch", "Ed25519 verification of many messages per release of the GIL.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__sigbatch(void) { return PyModule_Create(&module); }
