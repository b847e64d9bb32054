/* The extension whose import loads a provider's library (libwrap compiles it into every provider wheel).
 *
 * Importing <package>._init makes the dynamic loader load the wrapped library through DT_NEEDED +
 * RUNPATH, by its SONAME and RTLD_LOCAL: every extension loaded later that needs the same SONAME then
 * reuses this copy. The build defines:
 *   LIBWRAP_PACKAGE       the provider's import name, for messages
 *   LIBWRAP_SONAME        the library's SONAME
 *   LIBWRAP_PROBE         a function the library exports: the init symbol, else the first one; through it
 *                         _init finds the file the loader actually bound
 *   LIBWRAP_INIT_RETURNS  0: call nothing; 1, 2, 3: call LIBWRAP_PROBE, which returns void, int or a string
 */
#define Py_LIMITED_API 0x03090000
#define PY_SSIZE_T_CLEAN
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <Python.h>
#include <stdint.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#if defined(__linux__)
#include <link.h>
#endif

#define LIBWRAP_STRING(x) #x
#define LIBWRAP_NAME(x) LIBWRAP_STRING(x)
#ifndef LIBWRAP_INIT_RETURNS
#define LIBWRAP_INIT_RETURNS 0
#endif
#if LIBWRAP_INIT_RETURNS == 3
#define LIBWRAP_RETURN_TYPE const char *
#elif LIBWRAP_INIT_RETURNS == 2
#define LIBWRAP_RETURN_TYPE int
#else
#define LIBWRAP_RETURN_TYPE void
#endif
#if defined(__linux__)
/* No direct reference to the library's symbols: were _init linked to a versioned symbol while the
 * process holds an unversioned copy under our SONAME, glibc would abort loading this very module.
 * Looking the symbol up in the copy our DT_NEEDED was bound to lets __init__.py refuse it instead. */
static void *find_probe(void) {
    void *handle = dlopen(LIBWRAP_SONAME, RTLD_NOW | RTLD_NOLOAD);
    if (handle == NULL) {
        PyErr_Format(PyExc_ImportError, "%s is not loaded (%s); reinstall %s", LIBWRAP_SONAME, dlerror(), LIBWRAP_PACKAGE);
        return NULL;
    }
    void *symbol = dlsym(handle, LIBWRAP_NAME(LIBWRAP_PROBE));
    dlclose(handle); /* drops only the reference RTLD_NOLOAD added */
    if (symbol == NULL) {
        PyErr_Format(PyExc_ImportError, "the loaded %s has no %s; reinstall %s", LIBWRAP_SONAME,
                     LIBWRAP_NAME(LIBWRAP_PROBE), LIBWRAP_PACKAGE);
    }
    return symbol;
}
#else
/* Windows and macOS have no symbol versions to trip over: a plain import. */
#ifdef _WIN32
__declspec(dllimport) /* the real address, not this module's thunk */
#endif
extern LIBWRAP_RETURN_TYPE LIBWRAP_PROBE(void);
static void *find_probe(void) {
    LIBWRAP_RETURN_TYPE (*function)(void) = &LIBWRAP_PROBE;
    void *address;
    memcpy(&address, &function, sizeof address); /* function to object pointer, as POSIX allows */
    return address;
}
#endif

/* The file the process actually resolved the library from: a copy loaded earlier under the same
 * SONAME wins over ours, and __init__.py must be able to tell. */
static PyObject *library_path(void *address) {
#ifdef _WIN32
    HMODULE module = NULL;
    wchar_t path[32768];
    DWORD flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
    if (GetModuleHandleExW(flags, (LPCWSTR)address, &module)) {
        DWORD length = GetModuleFileNameW(module, path, 32768);
        if (length > 0 && length < 32768) {
            return PyUnicode_FromWideChar(path, (Py_ssize_t)length);
        }
    }
#else
    Dl_info info;
    if (dladdr(address, &info) && info.dli_fname != NULL) {
        return PyUnicode_DecodeFSDefault(info.dli_fname);
    }
#endif
    Py_RETURN_NONE;
}

#if defined(__linux__)
/* dl_iterate_phdr callback: find the object holding data[0]; data[1] becomes 1, or 2 with DT_VERDEF. */
static int find_verdef(struct dl_phdr_info *info, size_t size, void *data) {
    uintptr_t target = (uintptr_t)((void **)data)[0];
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *load = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + load->p_vaddr;
        if (load->p_type != PT_LOAD || target < start || target >= start + load->p_memsz) {
            continue;
        }
        ((void **)data)[1] = (void *)(uintptr_t)1;
        for (int j = 0; j < info->dlpi_phnum; j++) {
            if (info->dlpi_phdr[j].p_type != PT_DYNAMIC) {
                continue;
            }
            const ElfW(Dyn) *dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[j].p_vaddr);
            for (; dyn->d_tag != DT_NULL; dyn++) {
                if (dyn->d_tag == DT_VERDEF) {
                    ((void **)data)[1] = (void *)(uintptr_t)2;
                }
            }
        }
        return 1;
    }
    return 0;
}
#endif

/* Whether the loaded library defines symbol versions: extensions linked against a versioned copy
 * make glibc abort the process when they meet an unversioned one, so Python must know first. */
static PyObject *library_versioned(void *address) {
#if defined(__linux__)
    void *data[2] = {address, NULL};
    dl_iterate_phdr(find_verdef, data);
    if (data[1] != NULL) {
        return PyBool_FromLong((uintptr_t)data[1] == 2);
    }
#else
    (void)address;
#endif
    Py_RETURN_NONE;
}

static int add(PyObject *module, const char *name, PyObject *value) {
    if (value == NULL || PyModule_AddObject(module, name, value) < 0) {
        Py_XDECREF(value);
        return -1;
    }
    return 0;
}

static struct PyModuleDef module_def = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_init",
    .m_doc = "Loads the library wrapped by " LIBWRAP_PACKAGE ".",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__init(void) {
    void *address = find_probe();
    if (address == NULL) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
#if LIBWRAP_INIT_RETURNS != 0
    LIBWRAP_RETURN_TYPE (*init)(void);
    memcpy(&init, &address, sizeof init); /* object to function pointer, as POSIX allows */
#endif
#if LIBWRAP_INIT_RETURNS == 3
    const char *result = init();
    PyObject *init_result = result ? PyUnicode_DecodeUTF8(result, (Py_ssize_t)strlen(result), "replace") : Py_None;
    if (result == NULL) {
        Py_INCREF(Py_None);
    }
#elif LIBWRAP_INIT_RETURNS == 2
    PyObject *init_result = PyLong_FromLong((long)init());
#else
#if LIBWRAP_INIT_RETURNS == 1
    init();
#endif
    PyObject *init_result = Py_None;
    Py_INCREF(Py_None);
#endif
    if (add(module, "init_result", init_result) < 0 || add(module, "library_path", library_path(address)) < 0 ||
        add(module, "library_versioned", library_versioned(address)) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
