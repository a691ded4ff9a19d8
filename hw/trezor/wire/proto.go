package wire

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
)

// The protobuf layer: messages are Go structs whose fields carry a tag
//
//	pb:"N"       optional field number N, written when not the zero value
//	pb:"N,req"   required (proto2): always written, also when zero
//
// Field types and their encodings:
//
//	| Go type                  | protobuf            | wire type         |
//	|--------------------------|---------------------|-------------------|
//	| uint32, uint64 (or named)| uint32, uint64, enum| varint            |
//	| bool                     | bool                | varint            |
//	| string, []byte           | string, bytes       | length-delimited  |
//	| *uint32, *bool, *string  | optional, presence  | as above          |
//	| []uint32                 | repeated uint32     | varint, one tag each (packed accepted) |
//	| []string                 | repeated string     | length-delimited  |
//	| struct, *struct, []struct| (repeated) message  | length-delimited  |
//
// Repeated scalars are written unpacked, one tag per value, as trezorlib
// does. Decoding skips unknown fields and fails on a malformed varint, a
// known field with the wrong wire type, or a truncated field.

// Decode errors; each wraps ErrMalformed.
var (
	ErrMalformed = errors.New("trezor wire: malformed protobuf")
	ErrVarint    = fmt.Errorf("%w: bad varint", ErrMalformed)
	ErrWireType  = fmt.Errorf("%w: wrong wire type", ErrMalformed)
	ErrTruncated = fmt.Errorf("%w: truncated", ErrMalformed)
	ErrRange     = fmt.Errorf("%w: value out of range", ErrMalformed)
	ErrRequired  = fmt.Errorf("%w: required field missing", ErrMalformed)
)

// Message is a protobuf message of the Trezor protocol.
type Message interface {
	// MessageType is the number of the message in messages.proto.
	MessageType() uint16
}

type fieldInfo struct {
	index    int
	num      protowire.Number
	required bool
	name     string
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func fieldsOf(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		tag, ok := t.Field(i).Tag.Lookup("pb")
		if !ok {
			continue
		}
		numStr, opt, _ := strings.Cut(tag, ",")
		n, err := strconv.Atoi(numStr)
		if err != nil {
			panic("wire: bad pb tag on " + t.Name() + "." + t.Field(i).Name)
		}
		out = append(out, fieldInfo{index: i, num: protowire.Number(n), required: opt == "req", name: t.Field(i).Name})
	}
	fieldCache.Store(t, out)
	return out
}

// Marshal encodes a message (a pointer to, or value of, a tagged struct).
func Marshal(m any) []byte {
	v := reflect.ValueOf(m)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return appendStruct(nil, v)
}

func appendStruct(b []byte, v reflect.Value) []byte {
	for _, f := range fieldsOf(v.Type()) {
		b = appendField(b, f, v.Field(f.index))
	}
	return b
}

func appendField(b []byte, f fieldInfo, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Uint32, reflect.Uint64:
		if v.Uint() != 0 || f.required {
			b = protowire.AppendTag(b, f.num, protowire.VarintType)
			b = protowire.AppendVarint(b, v.Uint())
		}
	case reflect.Bool:
		if v.Bool() || f.required {
			b = protowire.AppendTag(b, f.num, protowire.VarintType)
			b = protowire.AppendVarint(b, protowire.EncodeBool(v.Bool()))
		}
	case reflect.String:
		if v.Len() > 0 || f.required {
			b = protowire.AppendTag(b, f.num, protowire.BytesType)
			b = protowire.AppendString(b, v.String())
		}
	case reflect.Pointer:
		if v.IsNil() {
			return b
		}
		f.required = true
		b = appendField(b, f, v.Elem())
	case reflect.Struct:
		b = protowire.AppendTag(b, f.num, protowire.BytesType)
		b = protowire.AppendBytes(b, appendStruct(nil, v))
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() > 0 || f.required {
				b = protowire.AppendTag(b, f.num, protowire.BytesType)
				b = protowire.AppendBytes(b, v.Bytes())
			}
			return b
		}
		f.required = true
		for i := 0; i < v.Len(); i++ {
			b = appendField(b, f, v.Index(i))
		}
	default:
		panic("wire: unsupported field kind " + v.Kind().String())
	}
	return b
}

// Unmarshal decodes b into m, a pointer to a tagged struct. Fields absent
// from b keep their zero value; required fields must be present.
func Unmarshal(b []byte, m any) error {
	v := reflect.ValueOf(m)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("wire: Unmarshal needs a pointer to a struct")
	}
	return decodeStruct(b, v.Elem())
}

// consumeErr maps protowire's negative lengths to our errors.
func consumeErr(n int) error {
	err := protowire.ParseError(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return fmt.Errorf("%w (%v)", ErrVarint, err)
}

func decodeStruct(b []byte, v reflect.Value) error {
	fields := fieldsOf(v.Type())
	byNum := make(map[protowire.Number]fieldInfo, len(fields))
	for _, f := range fields {
		byNum[f.num] = f
	}
	seen := map[protowire.Number]bool{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("field tag: %w", consumeErr(n))
		}
		b = b[n:]
		f, known := byNum[num]
		if !known {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("unknown field %d: %w", num, consumeErr(n))
			}
			b = b[n:]
			continue
		}
		n, err := decodeField(b, typ, v.Field(f.index))
		if err != nil {
			return fmt.Errorf("%s.%s (field %d): %w", v.Type().Name(), f.name, num, err)
		}
		b = b[n:]
		seen[num] = true
	}
	for _, f := range fields {
		if f.required && !seen[f.num] {
			return fmt.Errorf("%s.%s (field %d): %w", v.Type().Name(), f.name, f.num, ErrRequired)
		}
	}
	return nil
}

// decodeField decodes one value of wire type typ from b into v and returns
// the bytes used.
func decodeField(b []byte, typ protowire.Type, v reflect.Value) (int, error) {
	want := func(t protowire.Type) error {
		if typ != t {
			return fmt.Errorf("%w %d, want %d", ErrWireType, typ, t)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Uint32, reflect.Uint64, reflect.Bool:
		if err := want(protowire.VarintType); err != nil {
			return 0, err
		}
		x, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return 0, consumeErr(n)
		}
		switch v.Kind() {
		case reflect.Uint32:
			if x > math.MaxUint32 {
				return 0, fmt.Errorf("%w: %d for a 32-bit field", ErrRange, x)
			}
			v.SetUint(x)
		case reflect.Uint64:
			v.SetUint(x)
		default:
			v.SetBool(x != 0)
		}
		return n, nil
	case reflect.String:
		if err := want(protowire.BytesType); err != nil {
			return 0, err
		}
		s, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, consumeErr(n)
		}
		v.SetString(string(s))
		return n, nil
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		n, err := decodeField(b, typ, e.Elem())
		if err != nil {
			return 0, err
		}
		v.Set(e)
		return n, nil
	case reflect.Struct:
		if err := want(protowire.BytesType); err != nil {
			return 0, err
		}
		s, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, consumeErr(n)
		}
		return n, decodeStruct(s, v)
	case reflect.Slice:
		et := v.Type().Elem()
		if et.Kind() == reflect.Uint8 {
			if err := want(protowire.BytesType); err != nil {
				return 0, err
			}
			s, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, consumeErr(n)
			}
			v.SetBytes(append([]byte{}, s...))
			return n, nil
		}
		if et.Kind() == reflect.Uint32 && typ == protowire.BytesType {
			// Packed repeated scalars.
			s, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, consumeErr(n)
			}
			for len(s) > 0 {
				e := reflect.New(et).Elem()
				m, err := decodeField(s, protowire.VarintType, e)
				if err != nil {
					return 0, err
				}
				v.Set(reflect.Append(v, e))
				s = s[m:]
			}
			return n, nil
		}
		e := reflect.New(et).Elem()
		n, err := decodeField(b, typ, e)
		if err != nil {
			return 0, err
		}
		v.Set(reflect.Append(v, e))
		return n, nil
	}
	panic("wire: unsupported field kind " + v.Kind().String())
}
