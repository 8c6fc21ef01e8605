module neongen

go 1.26
