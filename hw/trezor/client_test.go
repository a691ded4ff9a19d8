package trezor

import (
	"context"
	"errors"
	"io"
	"testing"

	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// scripted is a device that answers with canned messages: for the replies
// no well-behaved device (nor our simulator) sends.
type scripted struct {
	replies []reply
	sent    []uint16
}

type reply struct {
	typ     uint16
	payload []byte
}

func (s *scripted) Write(_ context.Context, typ uint16, _ []byte) error {
	s.sent = append(s.sent, typ)
	return nil
}

func (s *scripted) Read(ctx context.Context) (uint16, []byte, error) {
	if len(s.replies) == 0 {
		return 0, nil, io.EOF // the script ran out: the device is gone
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r.typ, r.payload, nil
}

func (s *scripted) Close() error { return nil }

func TestUnexpectedMessageMidFlow(t *testing.T) {
	// SignTx answered by an Address: ErrProtocol, and the client cancels.
	s := &scripted{replies: []reply{
		{wire.TypeAddress, wire.Marshal(wire.Address{Address: "x"})},
		{wire.TypeFailure, wire.Marshal(wire.Failure{Code: wire.FailureActionCancelled})},
	}}
	c := New(s, nil)
	_, err := c.SignTx(context.Background(), SignRequest{Coin: Bitcoin, Inputs: []wire.TxInput{{}}, Outputs: []wire.TxOutput{{}}})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("err = %v", err)
	}
	if len(s.sent) != 2 || s.sent[1] != wire.TypeCancel {
		t.Fatalf("sent %v, want SignTx then Cancel", s.sent)
	}

	// A TxRequest for an input that does not exist.
	idx := uint32(7)
	s = &scripted{replies: []reply{
		{wire.TypeTxRequest, wire.Marshal(wire.TxRequest{RequestType: wire.RequestInput, Details: &wire.TxRequestDetails{RequestIndex: &idx}})},
	}}
	c = New(s, nil)
	if _, err := c.SignTx(context.Background(), SignRequest{Coin: Bitcoin, Inputs: []wire.TxInput{{}}, Outputs: []wire.TxOutput{{}}}); !errors.Is(err, ErrProtocol) {
		t.Fatalf("bad index: %v", err)
	}
}

func TestMalformedReply(t *testing.T) {
	s := &scripted{replies: []reply{{wire.TypeAddress, []byte{0x0a, 0x05, 'a'}}}}
	c := New(s, nil)
	_, err := c.Address(context.Background(), "Bitcoin", nil, wire.SpendWitness, false)
	if !errors.Is(err, ErrProtocol) || !errors.Is(err, wire.ErrTruncated) {
		t.Fatalf("err = %v", err)
	}
	// A Failure with an unknown code is still a typed error.
	s = &scripted{replies: []reply{{wire.TypeFailure, wire.Marshal(wire.Failure{Code: 42, Message: "odd"})}}}
	c = New(s, nil)
	_, err = c.Ping(context.Background(), "x")
	var fe *FailureError
	if !errors.As(err, &fe) || fe.Code != 42 || !errors.Is(err, ErrFailure) || Hint(err) == "" {
		t.Fatalf("err = %v", err)
	}
}

func TestFailureTable(t *testing.T) {
	for code, want := range map[uint32]error{
		wire.FailureActionCancelled: ErrCancelled, wire.FailurePinCancelled: ErrCancelled,
		wire.FailurePinInvalid: ErrWrongPIN, wire.FailureNotInitialized: ErrNotInitialized,
		wire.FailureDataError: ErrDataError, wire.FailureInvalidProtocol: ErrFirmwareTooOld,
	} {
		if err := failure(wire.Failure{Code: code}); !errors.Is(err, want) || Hint(err) == "" {
			t.Errorf("code %d: %v", code, err)
		}
	}
}
