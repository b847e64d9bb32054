/* Importing openblas._init makes the dynamic loader load the wrapped library through
 * DT_NEEDED + RUNPATH, by its SONAME and RTLD_LOCAL: every extension loaded later that needs the
 * same SONAME then reuses this copy. Calling openblas_get_config proves the library works. */
#define Py_LIMITED_API 0x03090000
#define PY_SSIZE_T_CLEAN
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <Python.h>

#ifdef _WIN32
#include <windows.h>
#define LIBWRAP_IMPORT __declspec(dllimport) /* the real address, not this module's thunk */
#else
#include <dlfcn.h>
#define LIBWRAP_IMPORT
#endif
LIBWRAP_IMPORT extern const char *openblas_get_config(void);

/* The file the process actually resolved openblas_get_config from: a copy loaded earlier
 * under the same SONAME wins over ours, and __init__.py must be able to tell. */
static PyObject *library_path(void) {
#ifdef _WIN32
    HMODULE module = NULL;
    wchar_t path[32768];
    DWORD flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
    if (GetModuleHandleExW(flags, (LPCWSTR)(void *)&openblas_get_config, &module)) {
        DWORD length = GetModuleFileNameW(module, path, 32768);
        if (length > 0 && length < 32768) {
            return PyUnicode_FromWideChar(path, (Py_ssize_t)length);
        }
    }
#else
    Dl_info info;
    if (dladdr((void *)&openblas_get_config, &info) && info.dli_fname != NULL) {
        return PyUnicode_DecodeFSDefault(info.dli_fname);
    }
#endif
    Py_RETURN_NONE;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_init", "Loads the library wrapped by openblas.", -1, NULL,
};

PyMODINIT_FUNC PyInit__init(void) {
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    const char *result = openblas_get_config();
    PyObject *init_result = Py_None;
    if (result != NULL) {
        init_result = PyUnicode_DecodeUTF8(result, (Py_ssize_t)strlen(result), "replace");
    } else {
        Py_INCREF(Py_None);
    }
    if (PyModule_AddObject(module, "init_result", init_result) < 0) {
        Py_XDECREF(init_result);
        Py_DECREF(module);
        return NULL;
    }
    PyObject *path = library_path();
    if (PyModule_AddObject(module, "library_path", path) < 0) {
        Py_XDECREF(path);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
