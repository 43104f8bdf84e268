"""Writes the .npy/.npz test vectors with numpy (run here: python3 make_numpy_cases.py).

Every 3-D array holds value(z, y, x) = (7 z + 3 y + x) % 11 on shape (3, 4, 5) unless noted, so a
test can recompute the expected voxels from the formula alone.
"""

import numpy as np

z, y, x = np.meshgrid(np.arange(3), np.arange(4), np.arange(5), indexing="ij")
values = (7 * z + 3 * y + x) % 11

np.save("u2_c_order.npy", values.astype("<u2"))
np.save("i4_fortran_order.npy", np.asfortranarray(values.astype("<i4")))
np.save("f4_whole_numbers.npy", values.astype("<f4"))
np.save("u2_big_endian.npy", values.astype(">u2"))
np.save("bool_mask.npy", values > 5)
np.save("bad_fraction.npy", values.astype("<f4") + 0.5)
np.save("bad_negative.npy", values.astype("<i2") - 3)
np.save("bad_two_dimensional.npy", values[0].astype("u1"))
np.save("bad_complex.npy", values.astype(np.complex64))
np.savez_compressed(
    "case.npz",
    labels=values.astype("u1"),
    mask=values > 5,
    metadata=np.array('{"space": "lps", "name": "Leber \u809d"}'),
    vector=np.arange(4),
)
