package testdeps

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePortIsFree(t *testing.T) {
	port := FreePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d is not free: %v", port, err)
	}
	l.Close()
}

func TestBinaryFindsAProgram(t *testing.T) {
	if path := Binary(t, "no-such-program-xyz", "go"); path == "" {
		t.Fatal("go not found")
	}
}
