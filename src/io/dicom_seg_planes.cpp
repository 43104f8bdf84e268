// dicom_seg_planes: where a SEG's frames lie (PS3.3 C.7.6.2.1.1) and cutting a mask on them.
#include "io/dicom_seg_planes.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "core/dtype_dispatch.hpp"
#include "medmask/error.hpp"

namespace medmask::io {

std::string ds_text(double x);

namespace {

// Pixels must hit voxel centres within this fraction of a voxel (float32 affines of NIfTI
// converters are off by up to 4 % of a voxel at the far corner of the sample case).
constexpr double kCentreToleranceVoxels = 0.1;

Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 add_scaled(const Vec3& a, const Vec3& d, double t) {
  return {a[0] + d[0] * t, a[1] + d[1] * t, a[2] + d[2] * t};
}

std::string triple_text(const Vec3& v) {
  return ds_text(v[0]) + "\\" + ds_text(v[1]) + "\\" + ds_text(v[2]);
}

// The mask axis (0..2 = i, j, k) and direction (+1/-1) a step in the series moves along, given
// the step in voxel units; -1 when the step is not one voxel along one mask axis.
std::pair<int, int> axis_of_step(const Vec3& step_ijk) {
  for (int a = 0; a < 3; ++a) {
    for (int sign : {1, -1}) {
      bool match = true;
      for (int b = 0; b < 3; ++b) {
        const double want = a == b ? sign : 0.0;
        if (std::abs(step_ijk[static_cast<std::size_t>(b)] - want) > 1e-3) match = false;
      }
      if (match) return {a, sign};
    }
  }
  return {-1, 0};
}

// The t range [begin, end) of a series axis whose index t maps to mask index start + sign * t,
// inside [0, extent).
std::pair<std::int64_t, std::int64_t> valid_range(std::int64_t start, int sign, std::int64_t extent,
                                                  std::int64_t count) {
  std::int64_t lo = sign > 0 ? -start : start - extent + 1;
  std::int64_t hi = sign > 0 ? extent - start : start + 1;
  return {std::max<std::int64_t>(lo, 0), std::min<std::int64_t>(hi, count)};
}

// The rotation nearest to m (polar decomposition by Newton's iteration R = (R + R^-T) / 2).
// Directions read from NIfTI carry float32 shear (~2e-4); DICOM's orientation must be
// orthonormal, and readers such as highdicom refuse the shear.
Mat3 nearest_rotation(const Mat3& m) {
  Mat3 r = m;
  for (int iteration = 0; iteration < 20; ++iteration) {
    const double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
                       r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
                       r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    Mat3 inverse_t{};  // cofactor matrix / det = (r^-1)^T
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        const int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
        inverse_t[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] =
            (r[static_cast<std::size_t>(i1)][static_cast<std::size_t>(j1)] *
                 r[static_cast<std::size_t>(i2)][static_cast<std::size_t>(j2)] -
             r[static_cast<std::size_t>(i1)][static_cast<std::size_t>(j2)] *
                 r[static_cast<std::size_t>(i2)][static_cast<std::size_t>(j1)]) /
            det;
      }
    }
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 3; ++j) r[i][j] = (r[i][j] + inverse_t[i][j]) / 2;
    }
  }
  return r;
}

}  // namespace

std::string ds_text(double x) {
  if (x == 0.0 || std::abs(x) < 1e-12) return "0";
  char buffer[32];
  for (int precision = 15; precision > 0; --precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, x);
    if (std::string(buffer).size() <= 16) return buffer;
  }
  return "0";
}

PlaneGrid planes_of_space(const Space& space) {
  const Shape3& shape = space.shape_xyz();
  const Mat3 d = nearest_rotation(space.direction());
  PlaneGrid grid;
  grid.cols = shape[0];
  grid.rows = shape[1];
  grid.planes = shape[2];
  grid.orientation =
      triple_text({d[0][0], d[1][0], d[2][0]}) + "\\" + triple_text({d[0][1], d[1][1], d[2][1]});
  grid.pixel_spacing = ds_text(space.spacing_mm()[1]) + "\\" + ds_text(space.spacing_mm()[0]);
  grid.slice_spacing = space.spacing_mm()[2];
  for (std::int64_t k = 0; k < shape[2]; ++k) {
    // Along the orthonormal slice direction, so that positions and orientation agree.
    Vec3 p = space.origin_lps();
    for (std::size_t r = 0; r < 3; ++r) {
      p[r] += d[r][2] * space.spacing_mm()[2] * static_cast<double>(k);
    }
    grid.position_lps.push_back(p);
    grid.position.push_back(triple_text(p));
  }
  grid.flat0 = 0;
  grid.stride_x = 1;
  grid.stride_y = shape[0];
  grid.stride_s = shape[0] * shape[1];
  grid.x_end = grid.cols;
  grid.y_end = grid.rows;
  grid.s_end = grid.planes;
  return grid;
}

PlaneGrid planes_of_reference(const Space& space, const ReferenceSeries& series) {
  const auto& images = series.images;
  const std::size_t n = images.size();
  PlaneGrid grid;
  grid.rows = series.rows;
  grid.cols = series.cols;
  grid.planes = static_cast<std::int64_t>(n);
  grid.orientation = series.orientation;
  grid.pixel_spacing = series.pixel_spacing;
  grid.reference = &series;
  const Vec3 ijk0 = space.lps_to_ijk(images[0].position_lps);
  const auto fail = [&](const std::string& file, const std::string& why) {
    throw FormatError(file + ": " + why + " (mask grid " + space.to_string() + ")", file);
  };
  const auto step_ijk = [&](const Vec3& step_lps) {
    return sub(space.lps_to_ijk(add_scaled(images[0].position_lps, step_lps, 1.0)), ijk0);
  };
  auto [ax, sx] = axis_of_step(
      step_ijk({series.row_dir[0] * series.spacing_x, series.row_dir[1] * series.spacing_x,
                series.row_dir[2] * series.spacing_x}));
  auto [ay, sy] = axis_of_step(
      step_ijk({series.col_dir[0] * series.spacing_y, series.col_dir[1] * series.spacing_y,
                series.col_dir[2] * series.spacing_y}));
  // The slice step: from the first two images, or, for one image, one voxel along the mask axis
  // left over.
  int as = -1, ss = 0;
  if (n > 1) {
    std::tie(as, ss) = axis_of_step(sub(space.lps_to_ijk(images[1].position_lps), ijk0));
  } else if (ax >= 0 && ay >= 0) {
    as = 3 - ax - ay;
    ss = 1;
  }
  if (ax < 0 || ay < 0 || as < 0 || ax == ay || as == ax || as == ay) {
    fail(images[n > 1 ? 1 : 0].path,
         "the series' rows, columns and slices are not the mask's voxel axes (in any order and "
         "direction) with the mask's spacing");
  }
  std::array<std::int64_t, 3> start{};
  for (std::size_t a = 0; a < 3; ++a) {
    start[a] = std::llround(ijk0[a]);
    if (std::abs(ijk0[a] - static_cast<double>(start[a])) > kCentreToleranceVoxels) {
      fail(images[0].path, "its pixels do not lie on the mask's voxel centres (offset " +
                               ds_text(ijk0[a] - static_cast<double>(start[a])) +
                               " voxel along mask axis " + "ijk"[a] + ")");
    }
  }
  for (std::size_t s = 0; s < n; ++s) {
    const Vec3 ijk = space.lps_to_ijk(images[s].position_lps);
    for (std::size_t a = 0; a < 3; ++a) {
      const double want = static_cast<double>(start[a]) +
                          (static_cast<int>(a) == as ? ss * static_cast<double>(s) : 0.0);
      if (std::abs(ijk[a] - want) > kCentreToleranceVoxels) {
        fail(images[s].path, "its position " + images[s].position +
                                 " is not on a mask slice (slices must be evenly spaced, one "
                                 "voxel apart; off by " +
                                 ds_text(ijk[a] - want) + " voxel along mask axis " + "ijk"[a] +
                                 ")");
      }
    }
    grid.position.push_back(images[s].position);
    grid.position_lps.push_back(images[s].position_lps);
  }
  const Shape3& shape = space.shape_xyz();
  const std::array<std::int64_t, 3> flat_stride{1, shape[0], shape[0] * shape[1]};
  grid.slice_spacing = space.spacing_mm()[static_cast<std::size_t>(as)];
  grid.stride_x = sx * flat_stride[static_cast<std::size_t>(ax)];
  grid.stride_y = sy * flat_stride[static_cast<std::size_t>(ay)];
  grid.stride_s = ss * flat_stride[static_cast<std::size_t>(as)];
  grid.flat0 = start[0] + start[1] * flat_stride[1] + start[2] * flat_stride[2];
  std::tie(grid.x_begin, grid.x_end) = valid_range(start[static_cast<std::size_t>(ax)], sx,
                                                   shape[static_cast<std::size_t>(ax)], grid.cols);
  std::tie(grid.y_begin, grid.y_end) = valid_range(start[static_cast<std::size_t>(ay)], sy,
                                                   shape[static_cast<std::size_t>(ay)], grid.rows);
  std::tie(grid.s_begin, grid.s_end) = valid_range(
      start[static_cast<std::size_t>(as)], ss, shape[static_cast<std::size_t>(as)], grid.planes);
  const auto covered = [](std::pair<std::int64_t, std::int64_t> r, std::int64_t extent) {
    return r.second - r.first == extent;
  };
  if (!covered({grid.x_begin, grid.x_end}, shape[static_cast<std::size_t>(ax)]) ||
      !covered({grid.y_begin, grid.y_end}, shape[static_cast<std::size_t>(ay)]) ||
      !covered({grid.s_begin, grid.s_end}, shape[static_cast<std::size_t>(as)])) {
    fail(series.folder, "the mask reaches beyond the series' images (" + std::to_string(n) +
                            " images of " + std::to_string(grid.rows) + " x " +
                            std::to_string(grid.cols) + " pixels)");
  }
  return grid;
}

void cut_plane(const LabelVolume& volume, const PlaneGrid& grid, std::int64_t s,
               std::vector<std::uint32_t>& out) {
  out.assign(static_cast<std::size_t>(grid.rows * grid.cols), 0);
  if (s < grid.s_begin || s >= grid.s_end) return;
  detail::visit_dtype(volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* data = static_cast<const T*>(volume.data());
    const std::int64_t plane = grid.flat0 + s * grid.stride_s;
    for (std::int64_t y = grid.y_begin; y < grid.y_end; ++y) {
      const T* row = data + plane + y * grid.stride_y;
      std::uint32_t* target = out.data() + y * grid.cols;
      if (grid.stride_x == 1) {
        for (std::int64_t x = grid.x_begin; x < grid.x_end; ++x) target[x] = row[x];
      } else {
        for (std::int64_t x = grid.x_begin; x < grid.x_end; ++x) {
          target[x] = row[x * grid.stride_x];
        }
      }
    }
  });
}

}  // namespace medmask::io
