/* Importing {{ cookiecutter.name }}._init makes the dynamic loader load the wrapped library through
 * DT_NEEDED + RUNPATH, by its SONAME and RTLD_LOCAL: every extension loaded later that needs the
 * same SONAME then reuses this copy. Calling {{ cookiecutter.init_symbol }} proves the library works. */
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

{%- if cookiecutter.init_returns == "str" %}
LIBWRAP_IMPORT extern const char *{{ cookiecutter.init_symbol }}(void);
{%- elif cookiecutter.init_returns == "int" %}
LIBWRAP_IMPORT extern int {{ cookiecutter.init_symbol }}(void);
{%- else %}
LIBWRAP_IMPORT extern void {{ cookiecutter.init_symbol }}(void);
{%- endif %}

/* The file the process actually resolved {{ cookiecutter.init_symbol }} from: a copy loaded earlier
 * under the same SONAME wins over ours, and __init__.py must be able to tell. */
static PyObject *library_path(void) {
#ifdef _WIN32
    HMODULE module = NULL;
    wchar_t path[32768];
    DWORD flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
    if (GetModuleHandleExW(flags, (LPCWSTR)(void *)&{{ cookiecutter.init_symbol }}, &module)) {
        DWORD length = GetModuleFileNameW(module, path, 32768);
        if (length > 0 && length < 32768) {
            return PyUnicode_FromWideChar(path, (Py_ssize_t)length);
        }
    }
#else
    Dl_info info;
    if (dladdr((void *)&{{ cookiecutter.init_symbol }}, &info) && info.dli_fname != NULL) {
        return PyUnicode_DecodeFSDefault(info.dli_fname);
    }
#endif
    Py_RETURN_NONE;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_init", "Loads the library wrapped by {{ cookiecutter.name }}.", -1, NULL,
};

PyMODINIT_FUNC PyInit__init(void) {
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
{%- if cookiecutter.init_returns == "str" %}
    const char *result = {{ cookiecutter.init_symbol }}();
    PyObject *init_result = Py_None;
    if (result != NULL) {
        init_result = PyUnicode_DecodeUTF8(result, (Py_ssize_t)strlen(result), "replace");
    } else {
        Py_INCREF(Py_None);
    }
{%- elif cookiecutter.init_returns == "int" %}
    PyObject *init_result = PyLong_FromLong((long){{ cookiecutter.init_symbol }}());
{%- else %}
    {{ cookiecutter.init_symbol }}();
    PyObject *init_result = Py_None;
    Py_INCREF(Py_None);
{%- endif %}
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
