package es

import (
	"encoding/binary"
	"unsafe"
)

// rawMemory reads process memory directly: inside the Endpoint Security
// handler, the message and everything it points to are valid until the
// handler returns. It trusts the pointers it is given, as the C API does.
type rawMemory struct{}

func (rawMemory) u8(p unsafe.Pointer, off uintptr) (uint8, bool) {
	return *(*uint8)(unsafe.Add(p, off)), true
}

func (rawMemory) u32(p unsafe.Pointer, off uintptr) (uint32, bool) {
	return *(*uint32)(unsafe.Add(p, off)), true
}

func (rawMemory) u64(p unsafe.Pointer, off uintptr) (uint64, bool) {
	return *(*uint64)(unsafe.Add(p, off)), true
}

func (rawMemory) ptr(p unsafe.Pointer, off uintptr) (unsafe.Pointer, bool) {
	return *(*unsafe.Pointer)(unsafe.Add(p, off)), true
}

func (rawMemory) isNil(p unsafe.Pointer) bool { return p == nil }

func (rawMemory) bytes(p unsafe.Pointer, n uint64) ([]byte, bool) {
	return unsafe.Slice((*byte)(p), n), true
}

// sliceMemory reads structures laid out in a byte slice that stands for
// the memory at virtual addresses [base, base+len(buf)). Pointers are
// little-endian 64-bit addresses (darwin arm64 and amd64 are both LP64 and
// little-endian); any read outside the slice fails instead of faulting, so
// arbitrary bytes can be decoded safely (tests, fuzzing).
type sliceMemory struct {
	buf  []byte
	base uint64
}

// at returns the n bytes at address p+off, or false if they are not all
// inside the slice.
func (m sliceMemory) at(p uint64, off uintptr, n uint64) ([]byte, bool) {
	if p < m.base {
		return nil, false
	}
	o := p - m.base
	size := uint64(len(m.buf))
	if o > size || uint64(off) > size-o || n > size-o-uint64(off) {
		return nil, false
	}
	start := o + uint64(off)
	return m.buf[start : start+n : start+n], true
}

func (m sliceMemory) u8(p uint64, off uintptr) (uint8, bool) {
	b, ok := m.at(p, off, 1)
	if !ok {
		return 0, false
	}
	return b[0], true
}

func (m sliceMemory) u32(p uint64, off uintptr) (uint32, bool) {
	b, ok := m.at(p, off, 4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

func (m sliceMemory) u64(p uint64, off uintptr) (uint64, bool) {
	b, ok := m.at(p, off, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

func (m sliceMemory) ptr(p uint64, off uintptr) (uint64, bool) { return m.u64(p, off) }

func (sliceMemory) isNil(p uint64) bool { return p == 0 }

func (m sliceMemory) bytes(p uint64, n uint64) ([]byte, bool) { return m.at(p, 0, n) }
