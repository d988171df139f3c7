module github.com/libae/libae/bindings/go

go 1.22
