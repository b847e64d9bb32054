// C = A @ B through cblas_dgemm from the openblas provider; the extension ships no OpenBLAS.
#include <cblas.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

namespace py = pybind11;
using Matrix = py::array_t<double, py::array::c_style | py::array::forcecast>;

extern "C" char *openblas_get_config(void);

static Matrix dgemm(const Matrix &a, const Matrix &b) {
    if (a.ndim() != 2 || b.ndim() != 2 || a.shape(1) != b.shape(0)) {
        throw std::invalid_argument("dgemm needs an (m, k) and a (k, n) matrix");
    }
    const auto m = static_cast<blasint>(a.shape(0));
    const auto k = static_cast<blasint>(a.shape(1));
    const auto n = static_cast<blasint>(b.shape(1));
    Matrix c({a.shape(0), b.shape(1)});
    {
        py::gil_scoped_release release;  // OpenBLAS runs its own threads
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a.data(), k, b.data(), n, 0.0,
                    c.mutable_data(), n);
    }
    return c;
}

PYBIND11_MODULE(_dgemm, m) {
    m.doc() = "cblas_dgemm from the openblas provider";
    m.def("dgemm", &dgemm, py::arg("a"), py::arg("b"), "C = A @ B (float64, through cblas_dgemm)");
    m.def("config", [] { return std::string(openblas_get_config()); }, "openblas_get_config() of the loaded library");
}
