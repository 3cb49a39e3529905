#include "bind_common.hpp"
#include "nmjcore/bilateral.hpp"

namespace nmjcore::bind {

namespace {

template <class T>
void run_bilateral(const py::array& image, py::array& out, int64_t radius, double sigma_color,
                   double sigma_space, int threads) {
  const T* src = static_cast<const T*>(image.data());
  T* dst = static_cast<T*>(out.mutable_data());
  py::gil_scoped_release release;
  bilateral_filter<T>(src, dst, image.shape(0), image.shape(1), radius, sigma_color,
                      sigma_space, threads);
}

py::array bilateral(const py::array& image, int64_t radius, double sigma_color,
                    double sigma_space, int threads) {
  require_ndim(image, "image", 2, 2);
  require_c_contiguous(image, "image");
  if (radius < 1) throw py::value_error("radius: expected a positive int");
  if (!(sigma_color > 0) || !std::isfinite(sigma_color)) {
    throw py::value_error("sigma_color: expected a finite positive number");
  }
  if (!(sigma_space > 0) || !std::isfinite(sigma_space)) {
    throw py::value_error("sigma_space: expected a finite positive number");
  }
  py::array out(image.dtype(), shape_of(image));
  const char kind = image.dtype().kind();
  if (kind == 'u' && image.itemsize() == 1) {
    run_bilateral<uint8_t>(image, out, radius, sigma_color, sigma_space, threads);
  } else if (kind == 'f' && image.itemsize() == 4) {
    run_bilateral<float>(image, out, radius, sigma_color, sigma_space, threads);
  } else {
    throw py::type_error("image: expected a uint8 or float32 array, got dtype " +
                         dtype_name(image));
  }
  return out;
}

}  // namespace

void bind_bilateral(py::module_& m) {
  m.def("bilateral", &bilateral, py::arg("image"), py::arg("radius"), py::arg("sigma_color"),
        py::arg("sigma_space"), py::arg("threads"),
        "Bilateral filter of a C-contiguous 2D uint8/float32 image over a disk of radius "
        "pixels, mirrored border (OpenCV's REFLECT_101).");
}

}  // namespace nmjcore::bind
