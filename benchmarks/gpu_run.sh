#!/usr/bin/env bash
# The GPU check of sksynth, as run on a lent GPU machine that has torch but no
# network: wheels of the peer (ctgan, rdt, sdmetrics...) and of skorch in .whl/,
# the shared datasets copied to .gpudata/. Logs, pages and results go to $OUT.
#   bash benchmarks/gpu_run.sh           the CUDA tests, then sampling side by side
#   bash benchmarks/gpu_run.sh EPOCHS    the full harness on adult (its own call:
#                                        each part fits a 10-minute command limit)
set -u
epochs=${1:-0}
out=${OUT:-/tmp/gpu_out}
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, pandas, sklearn, numpy, skorch; print('torch', torch.__version__,
'pandas', pandas.__version__, 'sklearn', sklearn.__version__, 'numpy', numpy.__version__,
'skorch', skorch.__version__, 'cuda', torch.cuda.is_available())"
if [ "$epochs" -gt 0 ]; then
    rm -f benchmarks/results/*_cuda.json
    timeout 540 python3 benchmarks/compare.py --dataset adult --epochs "$epochs" --device cuda \
        --data-dir .gpudata 2>&1 | tail -20
    cp benchmarks/results/*_cuda.json "$out/" 2>/dev/null
else
    timeout 150 python3 -m pytest -q -p no:cacheprovider -o addopts="" -rs tests/test_cuda.py \
        tests/test_layers.py 2>&1 | tee "$out/pytest_cuda.log" | tail -15
    rm -f docs/benchmarks_sampling_cuda.md  # so a failed run leaves no stale page behind
    timeout 300 python3 benchmarks/compare_sampling.py --device cuda --repeats 5 \
        --data-dir .gpudata 2>&1 | tail -12
    cp docs/benchmarks_sampling_cuda.md "$out/" 2>/dev/null
fi
echo done
