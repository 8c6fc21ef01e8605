module github.com/vlmrt/vlmrt/kernels/_qgemmgen

go 1.26
