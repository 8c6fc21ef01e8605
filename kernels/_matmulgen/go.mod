module github.com/vlmrt/vlmrt/kernels/_matmulgen

go 1.26
