"""The graph-agnostic `opencl` package: devices, memory and counters, the program cache, and each launcher
(elementwise, GEMM, copies, reductions, gathers, softmax, random numbers) against numpy; and the plan-memory
layout of the backend."""
import numpy as np
import pytest

from opencl import copy, elementwise, gather, gemm, nn, random, reduce, runtime, source

if not runtime.available():
    pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)", allow_module_level=True)

RNG = np.random.RandomState(3)


@pytest.fixture(scope="module")
def device():
    return runtime.get_device(0)


def normal(*shape, dtype=np.float32):
    return np.asarray(RNG.randn(*shape), dtype=dtype)


def run(device, launches):
    device.enqueue(launches if isinstance(launches, list) else [launches])
    device.finish()


# ---- devices, memory, programs -------------------------------------------------------------------------------

def test_devices_describe_each_opencl_device():
    found = runtime.devices()
    assert found and [d["name"] for d in found] == ["/opencl:%d" % i for i in range(len(found))]
    for d in found:
        assert d["kind"] == "opencl" and d["device"] and d["driver"] and d["memory"] > 0 and d["compute_units"] > 0


def test_get_device_is_one_object_per_index_and_checks_the_index(device):
    assert runtime.get_device(0) is device
    with pytest.raises(ValueError, match="No OpenCL device 99"):
        runtime.get_device(99)


def test_round_trip_and_counters(device):
    before = device.stats.snapshot()
    value = normal(3, 5)
    array = device.to_device(value)
    back = array.get()
    counts = device.stats.since(before)
    np.testing.assert_array_equal(back, value)
    assert (array.shape, array.dtype, array.size, array.nbytes) == ((3, 5), np.float32, 15, 60)
    assert counts["allocations"] == 1 and counts["allocated_bytes"] == 60
    assert counts["host_to_device"] == 1 and counts["host_to_device_bytes"] == 60
    assert counts["device_to_host"] == 1 and counts["device_to_host_bytes"] == 60


def test_empty_arrays_allocate_a_minimal_buffer(device):
    array = device.to_device(np.zeros((0, 4), np.float32))
    assert array.size == 0 and array.buffer.size >= 16
    assert array.get().shape == (0, 4)


def test_allocation_beyond_the_device_limit_is_refused(device):
    with pytest.raises(MemoryError, match="exceed"):
        device.allocate(device.max_allocation + 1)


def test_programs_are_built_once_per_source(device):
    text = source.HEADER + "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2; }\n"
    before = device.stats.programs_built
    first = device.program(text)
    assert device.program(text) is first
    assert device.stats.programs_built == before + 1


def test_a_build_error_shows_the_numbered_source(device):
    with pytest.raises(RuntimeError, match=r"(?s)OpenCL build failed.*1  __kernel void broken"):
        device.program("__kernel void broken(__global float* x) { x[0] = undefined_name; }\n")


def test_work_items_split_into_contiguous_chunks():
    assert source.work_items(10, 4) == (3, 4)
    assert source.work_items(10 ** 6, 4096, max_items=32) == (32, 31250)
    assert source.work_items(1, 4096) == (1, 1)
    assert source.work_items(1001, 100, max_items=4, multiple=8) == (4, 256)


def test_c_types():
    types = [source.c_type(t) for t in (np.float32, np.float64, np.int64, np.bool_)]
    assert types == ["float", "double", "long", "uchar"]
    with pytest.raises(TypeError, match="float16"):
        source.c_type(np.float16)


# ---- elementwise ---------------------------------------------------------------------------------------------

def test_broadcast_strides_and_collapse():
    assert elementwise.broadcast_strides((4, 5, 6), (5, 1)) == [0, 1, 0]
    with pytest.raises(ValueError, match="does not broadcast"):
        elementwise.broadcast_strides((4, 5), (3,))
    dims, strides = elementwise.collapse((4, 5, 6), [(4, 5, 6), (6,), (1,)])
    assert dims == [20, 6] and strides == [[6, 1], [0, 1], [0, 0]]
    dims, strides = elementwise.collapse((2, 3, 4), [(2, 3, 4), (2, 3, 4)])
    assert dims == [24] and strides == [[1], [1]]


def test_operand_modes():
    operands, dims = elementwise.plan_operands((4, 6), [(np.float32, (4, 6), False), (np.float32, (1,), False),
                                                        (np.float32, (), True)])
    assert [op.mode for op in operands] == [elementwise.FULL, elementwise.SCALAR, elementwise.VALUE] and dims == [24]
    operands, dims = elementwise.plan_operands((4, 6), [(np.float32, (4, 1), False), (np.float32, (6,), False)])
    assert [op.mode for op in operands] == [elementwise.BROADCAST] * 2 and dims == [4, 6]


@pytest.mark.parametrize("shapes", [((7, 1023), (1023,), ()), ((3, 1, 5), (1, 4, 1), (5,)), ((1,), (1,), ())],
                         ids=str)
def test_elementwise_launch_matches_numpy(device, shapes):
    a, b = normal(*shapes[0]), normal(*shapes[1])
    out_shape = np.broadcast_shapes(a.shape, b.shape, shapes[2])
    c = normal(*shapes[2])
    out = device.empty(out_shape, np.float32)
    inputs = [(device.to_device(a), a.dtype, a.shape), (device.to_device(b), b.dtype, b.shape), (c, c.dtype, c.shape)]
    if c.ndim == 0:
        inputs[2] = (np.float32(c), c.dtype, ())
    else:
        inputs[2] = (device.to_device(c), c.dtype, c.shape)
    run(device, elementwise.launch(inputs, [(out, np.float32)], out_shape, "y0 = fmax(x0 * x1 + x2, 0.0f);"))
    np.testing.assert_allclose(out.get(), np.maximum(a * b + c, 0), rtol=1e-6)


def test_elementwise_with_two_outputs_and_empty_shapes(device):
    a = normal(10)
    low, high = device.empty((10,), np.float32), device.empty((10,), np.bool_)
    run(device, elementwise.launch([(device.to_device(a), a.dtype, a.shape)], [(low, np.float32), (high, np.bool_)],
                                   (10,), "y0 = min(x0, 0.0f); y1 = x0 > 0;"))
    np.testing.assert_array_equal(low.get(), np.minimum(a, 0))
    np.testing.assert_array_equal(high.get(), a > 0)
    assert elementwise.launch([], [(low, np.float32)], (0, 5), "y0 = 1;") is None


@pytest.mark.parametrize("n", [8 * 37 + 5, 7, 8 * 512])
def test_streaming_stores_give_the_same_values(device, n):
    a, b, c = normal(n), normal(n), normal(n)
    out = device.empty((n,), np.float32)
    inputs = [(device.to_device(x), x.dtype, x.shape) for x in (a, b, c)]
    body = "y0 = fmax(x0 * x1 + x2, ({T})0);"
    launch = elementwise.launch(inputs, [(out, np.float32)], (n,), body.format(T="float"), body.format(T="float8"),
                                per_item=64, cache_bytes=0)
    assert "STREAM_STORE" in launch.source[0] and launch.args[-1] % elementwise.VECTOR == 0
    run(device, launch)
    np.testing.assert_array_equal(out.get(), np.maximum(a * b + c, 0))


def test_only_kernels_moving_at_least_the_cache_size_stream(device):
    n = 1024
    a = device.to_device(normal(n))
    out = device.empty((n,), np.float32)

    def text(cache_bytes):
        launch = elementwise.launch([(a, np.float32, (n,))], [(out, np.float32)], (n,), "y0 = x0;", "y0 = x0;",
                                    cache_bytes=cache_bytes)
        return launch.source[0]
    assert "STREAM_STORE" in text(8 * n) and "STREAM_STORE" not in text(8 * n + 1)
    assert "STREAM_STORE" not in text(None)


def test_kernel_text_does_not_depend_on_sizes():
    modes = [elementwise.Operand("float", elementwise.FULL)]
    assert elementwise.kernel_source(modes, ["float"], "y0 = x0;", 1) == \
        elementwise.kernel_source(modes, ["float"], "y0 = x0;", 1)
    name, text = elementwise.kernel_source(modes, ["float"], "y0 = x0;", 1)
    assert name in text and "__kernel" in text


# ---- GEMM ----------------------------------------------------------------------------------------------------

def _matmul(device, a, b, transpose_a=False, transpose_b=False):
    am = a.T if transpose_a else a
    bm = b.T if transpose_b else b
    m, k = am.shape
    n = bm.shape[1]
    out = device.empty((m, n), a.dtype)
    scratch = []

    def allocate(nbytes):
        scratch.append(device.empty((nbytes,), np.uint8))
        return scratch[-1]
    run(device, gemm.matmul_launches(a.dtype, device.to_device(a), device.to_device(b), out, m, n, k,
                                     (1, m) if transpose_a else (k, 1), (1, k) if transpose_b else (n, 1), [0], [0],
                                     allocate))
    return out.get(), am @ bm


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 5, 3), (6, 16, 16), (13, 100, 33), (50, 3, 1), (200, 150, 161)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_matches_numpy(device, m, k, n, dtype):
    """Small products read operands in place, large ones pack them first (gemm.DIRECT_FLOPS)."""
    for transpose_a in (False, True):
        for transpose_b in (False, True):
            a = normal(*((k, m) if transpose_a else (m, k)), dtype=dtype)
            b = normal(*((n, k) if transpose_b else (k, n)), dtype=dtype)
            got, expected = _matmul(device, a, b, transpose_a, transpose_b)
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.sqrt(k))


def test_gemm_batches_and_accumulates(device):
    a, b = normal(3, 7, 5), normal(5, 9)
    out = device.empty((3, 7, 9), np.float32)
    packed_a = device.empty((gemm.packed_a_bytes(7, 5, 3),), np.uint8)
    packed_b = device.empty((gemm.packed_b_bytes(9, 5, 3),), np.uint8)
    a_dev, b_dev = device.to_device(a), device.to_device(b)
    run(device, [gemm.pack_a(a_dev, packed_a, 7, 5, (5, 1), [0, 35, 70]),
                 gemm.pack_b(b_dev, packed_b, 9, 5, (9, 1), [0, 0, 0]),
                 gemm.product(packed_a, packed_b, out, 7, 9, 5, batch=3),
                 gemm.product(packed_a, packed_b, out, 7, 9, 5, batch=3, accumulate=True)])
    np.testing.assert_allclose(out.get(), 2 * (a @ b), rtol=1e-5)


# ---- copies, reductions, gathers -------------------------------------------------------------------------------

def test_affine_recognizes_strided_layouts():
    labels = np.arange(24).reshape(2, 3, 4)
    assert copy.affine(labels.transpose(2, 0, 1)) == (0, [1, 12, 4])
    assert copy.affine(labels[:, ::-1, 1:3]) == (9, [12, -4, 1])
    assert copy.affine(np.tile(np.arange(3), 2)) is None


def test_gather_copies_strided_and_indexed(device):
    x = normal(4, 5)
    src = device.to_device(x)
    labels = np.arange(20).reshape(4, 5)
    for index, expected in [(labels.T, x.T), (labels[::-1, 1:4], x[::-1, 1:4]), (np.tile(labels, 2), np.tile(x, 2)),
                            (np.pad(labels, 1, constant_values=-1), np.pad(x, 1, constant_values=7.5))]:
        out = device.empty(index.shape, np.float32)
        run(device, copy.gather(np.float32, src, out, index, 7.5))
        np.testing.assert_array_equal(out.get(), expected)


def test_scatter_writes_a_slab_of_a_concatenation(device):
    x = normal(2, 3)
    out = device.to_device(np.zeros((2, 5), np.float32))
    run(device, copy.scatter(np.float32, device.to_device(x), out, np.arange(10).reshape(2, 5)[:, 1:4]))
    np.testing.assert_array_equal(out.get(), np.concatenate([np.zeros((2, 1)), x, np.zeros((2, 1))], 1))


@pytest.mark.parametrize("outer,length,inner", [(1, 100000, 1), (3, 5, 7), (1, 20000, 3), (5, 0, 2), (64, 1, 1)])
def test_reduction_in_one_or_two_stages(device, outer, length, inner):
    x = normal(outer, length, inner)
    total = reduce.Reduction("0", "a + b")
    largest = reduce.Reduction("-INFINITY", "(isnan(a) || a > b) ? a : b")
    for reduction, expected in [(total, x.sum(1)), (largest, x.max(1, initial=-np.inf))]:
        out = device.empty((outer, inner), np.float32)
        scratch = []

        def allocate(nbytes):
            scratch.append(device.empty((nbytes,), np.uint8))
            return scratch[-1]
        run(device, reduce.reduce_launches(reduction, np.float32, np.float32, np.float32, device.to_device(x), out,
                                           outer, length, inner, 1, allocate))
        np.testing.assert_allclose(out.get(), expected, rtol=1e-4, atol=1e-3)


def test_arg_reduction_takes_the_first_extreme(device):
    x = np.array([[1, 3, 3, 0], [2, 2, 1, 2]], np.float32)
    out = device.empty((2,), np.int64)
    run(device, reduce.arg_reduce_launch("v > best", np.float32, np.int64, device.to_device(x), out, 2, 4, 1))
    np.testing.assert_array_equal(out.get(), [1, 0])


def test_gather_rows_and_scatter_add(device):
    params, indices = normal(2, 5, 3), np.array([4, 0, 4, 7, -1], np.int32)
    out = device.empty((2, 5, 3), np.float32)
    run(device, gather.gather_rows(np.float32, device.to_device(params), device.to_device(indices), out, 2, 5, 3, 5))
    valid = (indices >= 0) & (indices < 5)
    expected = np.where(valid[None, :, None], params[:, np.clip(indices, 0, 4)], 0)
    np.testing.assert_array_equal(out.get(), expected)
    dy = normal(2, 5, 3)
    back = device.empty((2, 5, 3), np.float32)
    run(device, gather.scatter_add_rows(np.float32, device.to_device(dy), device.to_device(indices), back, 2, 5, 3, 5))
    expected = np.zeros((2, 5, 3), np.float32)
    np.add.at(expected, (slice(None), indices[valid]), dy[:, valid])
    np.testing.assert_allclose(back.get(), expected, rtol=1e-6)


def test_softmax_rows(device):
    x = normal(6, 9)
    out = device.empty((6, 9), np.float32)
    run(device, nn.softmax(np.float32, device.to_device(x), out, 6, 9, 1, log=True))
    shifted = x - x.max(1, keepdims=True)
    np.testing.assert_allclose(out.get(), shifted - np.log(np.exp(shifted).sum(1, keepdims=True)), rtol=1e-5,
                               atol=1e-6)


# ---- random numbers ------------------------------------------------------------------------------------------

def _draw(device, kind, n, key, max_items=256, low=0, high=0, dtype=np.float32):
    out = device.empty((n,), dtype)
    launch = random.random_launch(dtype, out, n, kind, low, high, max_items)
    launch.args[random.KEY_ARGS[0]], launch.args[random.KEY_ARGS[1]] = np.uint32(key[0]), np.uint32(key[1])
    run(device, launch)
    return out.get()


def test_random_numbers_depend_on_the_key_only(device):
    first = _draw(device, "uniform", 10001, (1, 2))
    np.testing.assert_array_equal(first, _draw(device, "uniform", 10001, (1, 2), max_items=3))
    assert not np.array_equal(first, _draw(device, "uniform", 10001, (1, 3)))
    assert 0 <= first.min() and first.max() < 1 and abs(first.mean() - 0.5) < 0.01


def test_random_distributions(device):
    normals = _draw(device, "normal", 40000, (5, 6))
    truncated = _draw(device, "truncated_normal", 40000, (5, 6))
    integers = _draw(device, "integers", 40000, (5, 6), low=-3, high=4, dtype=np.int64)
    assert abs(normals.mean()) < 0.02 and abs(normals.std() - 1) < 0.02
    assert np.abs(truncated).max() <= 2 and abs(truncated.std() - 0.8796) < 0.01
    assert integers.min() == -3 and integers.max() == 3 and np.all(np.bincount(integers + 3) > 5000)


# ---- plan memory ---------------------------------------------------------------------------------------------

def test_lay_out_shares_buffers_between_disjoint_lifetimes():
    from flowgraph.backends.opencl.memory import Storage, lay_out
    spans = [(0, 1, 100), (1, 2, 100), (2, 3, 80), (3, 4, 300)]
    storages = []
    for first, last, nbytes in spans:
        storage = Storage(nbytes)
        storage.touch(first)
        storage.touch(last)
        storages.append(storage)
    fixed = Storage(8, buffer="a variable's buffer")
    owned = lay_out(storages + [fixed], lambda nbytes: ["buffer", nbytes])
    assert storages[2].buffer is storages[0].buffer  # 0 ends before 2 starts; 80 bytes fit in 100
    assert storages[1].buffer is not storages[0].buffer and storages[3].buffer is not storages[1].buffer
    assert fixed.buffer == "a variable's buffer" and len(owned) == 3
