package main

func arm64() { panic("not yet") }
