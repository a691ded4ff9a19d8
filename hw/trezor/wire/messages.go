package wire

// Message types (messages.proto, enum MessageType).
const (
	TypeInitialize        uint16 = 0
	TypePing              uint16 = 1
	TypeSuccess           uint16 = 2
	TypeFailure           uint16 = 3
	TypeGetPublicKey      uint16 = 11
	TypePublicKey         uint16 = 12
	TypeSignTx            uint16 = 15
	TypeFeatures          uint16 = 17
	TypePinMatrixRequest  uint16 = 18
	TypePinMatrixAck      uint16 = 19
	TypeCancel            uint16 = 20
	TypeTxRequest         uint16 = 21
	TypeTxAck             uint16 = 22
	TypeButtonRequest     uint16 = 26
	TypeButtonAck         uint16 = 27
	TypeGetAddress        uint16 = 29
	TypeAddress           uint16 = 30
	TypePassphraseRequest uint16 = 41
	TypePassphraseAck     uint16 = 42
	TypeGetFeatures       uint16 = 55
)

// TypeName names a message type for error messages.
func TypeName(t uint16) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "message type " + itoa(uint64(t))
}

var typeNames = map[uint16]string{
	TypeInitialize: "Initialize", TypePing: "Ping", TypeSuccess: "Success", TypeFailure: "Failure",
	TypeGetPublicKey: "GetPublicKey", TypePublicKey: "PublicKey", TypeSignTx: "SignTx",
	TypeFeatures: "Features", TypePinMatrixRequest: "PinMatrixRequest", TypePinMatrixAck: "PinMatrixAck",
	TypeCancel: "Cancel", TypeTxRequest: "TxRequest", TypeTxAck: "TxAck",
	TypeButtonRequest: "ButtonRequest", TypeButtonAck: "ButtonAck", TypeGetAddress: "GetAddress",
	TypeAddress: "Address", TypePassphraseRequest: "PassphraseRequest", TypePassphraseAck: "PassphraseAck",
	TypeGetFeatures: "GetFeatures",
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// Failure codes (messages-common.proto, Failure.FailureType).
const (
	FailureUnexpectedMessage uint32 = 1
	FailureButtonExpected    uint32 = 2
	FailureDataError         uint32 = 3
	FailureActionCancelled   uint32 = 4
	FailurePinExpected       uint32 = 5
	FailurePinCancelled      uint32 = 6
	FailurePinInvalid        uint32 = 7
	FailureInvalidSignature  uint32 = 8
	FailureProcessError      uint32 = 9
	FailureNotEnoughFunds    uint32 = 10
	FailureNotInitialized    uint32 = 11
	FailurePinMismatch       uint32 = 12
	FailureInvalidSession    uint32 = 14
	FailureBusy              uint32 = 15
	FailureInvalidProtocol   uint32 = 17
	FailureFirmwareError     uint32 = 99
)

// ButtonRequest codes (messages-common.proto, ButtonRequest.ButtonRequestType).
const (
	ButtonOther                 uint32 = 1
	ButtonFeeOverThreshold      uint32 = 2
	ButtonConfirmOutput         uint32 = 3
	ButtonSignTx                uint32 = 8
	ButtonAddress               uint32 = 10
	ButtonPublicKey             uint32 = 11
	ButtonUnknownDerivationPath uint32 = 15
	ButtonPassphraseEntry       uint32 = 19
	ButtonPinEntry              uint32 = 20
)

// PinMatrixRequest types.
const (
	PinCurrent   uint32 = 1
	PinNewFirst  uint32 = 2
	PinNewSecond uint32 = 3
)

// Capabilities (messages-management.proto, Features.Capability).
const (
	CapabilityBitcoin         uint32 = 1
	CapabilityPassphraseEntry uint32 = 17
)

// InputScriptType (messages-bitcoin.proto).
const (
	SpendAddress     uint32 = 0 // P2PKH
	SpendMultisig    uint32 = 1
	External         uint32 = 2
	SpendWitness     uint32 = 3 // P2WPKH
	SpendP2SHWitness uint32 = 4 // P2SH-P2WPKH
	SpendTaproot     uint32 = 5 // P2TR key path
)

// OutputScriptType (messages-bitcoin.proto).
const (
	PayToAddress     uint32 = 0
	PayToScriptHash  uint32 = 1
	PayToMultisig    uint32 = 2
	PayToOpReturn    uint32 = 3
	PayToWitness     uint32 = 4
	PayToP2SHWitness uint32 = 5
	PayToTaproot     uint32 = 6
)

// TxRequest.request_type (messages-bitcoin.proto, RequestType).
const (
	RequestInput     uint32 = 0
	RequestOutput    uint32 = 1
	RequestMeta      uint32 = 2
	RequestFinished  uint32 = 3
	RequestExtraData uint32 = 4
)

// Initialize resets the session and asks for Features. SessionID resumes a
// cached session (its passphrase).
type Initialize struct {
	SessionID []byte `pb:"1"`
}

// GetFeatures asks for Features without resetting the session.
type GetFeatures struct{}

// Features describes the device.
type Features struct {
	Vendor                   string   `pb:"1"`
	MajorVersion             uint32   `pb:"2,req"`
	MinorVersion             uint32   `pb:"3,req"`
	PatchVersion             uint32   `pb:"4,req"`
	BootloaderMode           bool     `pb:"5"`
	DeviceID                 string   `pb:"6"`
	PinProtection            bool     `pb:"7"`
	PassphraseProtection     bool     `pb:"8"`
	Language                 string   `pb:"9"`
	Label                    string   `pb:"10"`
	Initialized              bool     `pb:"12"`
	Unlocked                 *bool    `pb:"16"`
	Model                    string   `pb:"21"`
	Capabilities             []uint32 `pb:"30"`
	SessionID                []byte   `pb:"35"`
	PassphraseAlwaysOnDevice bool     `pb:"36"`
	SafetyChecks             uint32   `pb:"37"`
}

// Ping asks the device to echo Message in a Success.
type Ping struct {
	Message          string `pb:"1"`
	ButtonProtection bool   `pb:"2"`
}

// Success ends an operation.
type Success struct {
	Message string `pb:"1"`
}

// Failure ends an operation with an error.
type Failure struct {
	Code    uint32 `pb:"1"`
	Message string `pb:"2"`
}

// ButtonRequest says the device waits for the user; the host answers
// ButtonAck.
type ButtonRequest struct {
	Code  uint32 `pb:"1"`
	Pages uint32 `pb:"2"`
	Name  string `pb:"4"`
}

// ButtonAck answers ButtonRequest.
type ButtonAck struct{}

// PinMatrixRequest asks for the PIN as positions on the scrambled keypad.
type PinMatrixRequest struct {
	Type uint32 `pb:"1"`
}

// PinMatrixAck carries the positions the user picked.
type PinMatrixAck struct {
	Pin string `pb:"1,req"`
}

// PassphraseRequest asks for the passphrase. OnDevice is the field of
// firmware before 2.3.0.
type PassphraseRequest struct {
	OnDevice bool `pb:"1"`
}

// PassphraseAck carries the passphrase, or asks to type it on the device.
type PassphraseAck struct {
	Passphrase *string `pb:"1"`
	OnDevice   bool    `pb:"3"`
}

// Cancel aborts the operation in progress.
type Cancel struct{}

// HDNode is a BIP 32 node (messages-common.proto, HDNodeType).
type HDNode struct {
	Depth       uint32 `pb:"1,req"`
	Fingerprint uint32 `pb:"2,req"` // of the parent
	ChildNum    uint32 `pb:"3,req"`
	ChainCode   []byte `pb:"4,req"`
	PublicKey   []byte `pb:"6,req"`
}

// GetPublicKey asks for the node at AddressN.
type GetPublicKey struct {
	AddressN        []uint32 `pb:"1"`
	EcdsaCurveName  string   `pb:"2"`
	ShowDisplay     bool     `pb:"3"`
	CoinName        string   `pb:"4"`
	ScriptType      uint32   `pb:"5"`
	IgnoreXpubMagic bool     `pb:"6"`
}

// PublicKey answers GetPublicKey.
type PublicKey struct {
	Node            HDNode  `pb:"1,req"`
	Xpub            string  `pb:"2,req"`
	RootFingerprint *uint32 `pb:"3"`
}

// GetAddress asks for the address at AddressN.
type GetAddress struct {
	AddressN    []uint32 `pb:"1"`
	CoinName    string   `pb:"2"`
	ShowDisplay bool     `pb:"3"`
	ScriptType  uint32   `pb:"5"`
}

// Address answers GetAddress.
type Address struct {
	Address string `pb:"1,req"`
}

// SignTx starts signing.
type SignTx struct {
	OutputsCount uint32 `pb:"1,req"`
	InputsCount  uint32 `pb:"2,req"`
	CoinName     string `pb:"3"`
	Version      uint32 `pb:"4,req"`
	LockTime     uint32 `pb:"5,req"`
}

// TxRequestDetails says which piece the device wants.
type TxRequestDetails struct {
	RequestIndex *uint32 `pb:"1"`
	TxHash       []byte  `pb:"2"` // a previous transaction's txid, display order
}

// TxRequestSerialized carries results.
type TxRequestSerialized struct {
	SignatureIndex *uint32 `pb:"1"`
	Signature      []byte  `pb:"2"`
	SerializedTx   []byte  `pb:"3"`
}

// TxRequest is the device asking for a piece of a transaction.
type TxRequest struct {
	RequestType uint32               `pb:"1,req"` // always written: TXINPUT is 0
	Details     *TxRequestDetails    `pb:"2"`
	Serialized  *TxRequestSerialized `pb:"3"`
}

// TxInput is an input of the transaction being signed, or (in the legacy
// form) of a previous transaction.
type TxInput struct {
	AddressN   []uint32 `pb:"1"`
	PrevHash   []byte   `pb:"2,req"` // display order
	PrevIndex  uint32   `pb:"3,req"`
	ScriptSig  []byte   `pb:"4"`
	Sequence   *uint32  `pb:"5"` // absent means 0xffffffff
	ScriptType uint32   `pb:"6"`
	Amount     uint64   `pb:"8"`
	// ScriptPubkey is for external inputs only.
	ScriptPubkey []byte `pb:"19"`
}

// PrevInput is an input of a previous transaction, with the fields the
// firmware requires always written.
type PrevInput struct {
	PrevHash  []byte `pb:"2,req"`
	PrevIndex uint32 `pb:"3,req"`
	ScriptSig []byte `pb:"4,req"`
	Sequence  uint32 `pb:"5,req"`
}

// TxOutput is an output of the transaction being signed: to Address, or
// back to the device's own AddressN (change), or OP_RETURN data.
type TxOutput struct {
	Address      string   `pb:"1"`
	AddressN     []uint32 `pb:"2"`
	Amount       uint64   `pb:"3,req"`
	ScriptType   uint32   `pb:"4"`
	OpReturnData []byte   `pb:"6"`
}

// PrevOutput is an output of a previous transaction (TxOutputBinType).
type PrevOutput struct {
	Amount       uint64 `pb:"1,req"`
	ScriptPubkey []byte `pb:"2,req"`
}

// TransactionType is the legacy TxAck payload: one of its parts is set,
// as the request asked.
type TransactionType struct {
	Version      *uint32      `pb:"1"`
	Inputs       []TxInput    `pb:"2"`
	BinOutputs   []PrevOutput `pb:"3"`
	LockTime     *uint32      `pb:"4"`
	Outputs      []TxOutput   `pb:"5"`
	InputsCnt    *uint32      `pb:"6"`
	OutputsCnt   *uint32      `pb:"7"`
	ExtraData    []byte       `pb:"8"`
	ExtraDataLen *uint32      `pb:"9"`
}

// TxAck answers a TxRequest.
type TxAck struct {
	Tx TransactionType `pb:"1,req"`
}

// TxAckPrevInput answers a TxRequest for a previous transaction's input
// (wire type 22, the same bytes as the legacy form).
type TxAckPrevInput struct {
	Tx struct {
		Input PrevInput `pb:"2,req"`
	} `pb:"1,req"`
}

// TxAckPrevMeta answers TXMETA: the previous transaction's header.
type TxAckPrevMeta struct {
	Tx struct {
		Version    uint32 `pb:"1,req"`
		LockTime   uint32 `pb:"4,req"`
		InputsCnt  uint32 `pb:"6,req"`
		OutputsCnt uint32 `pb:"7,req"`
	} `pb:"1,req"`
}

func (Initialize) MessageType() uint16        { return TypeInitialize }
func (GetFeatures) MessageType() uint16       { return TypeGetFeatures }
func (Features) MessageType() uint16          { return TypeFeatures }
func (Ping) MessageType() uint16              { return TypePing }
func (Success) MessageType() uint16           { return TypeSuccess }
func (Failure) MessageType() uint16           { return TypeFailure }
func (ButtonRequest) MessageType() uint16     { return TypeButtonRequest }
func (ButtonAck) MessageType() uint16         { return TypeButtonAck }
func (PinMatrixRequest) MessageType() uint16  { return TypePinMatrixRequest }
func (PinMatrixAck) MessageType() uint16      { return TypePinMatrixAck }
func (PassphraseRequest) MessageType() uint16 { return TypePassphraseRequest }
func (PassphraseAck) MessageType() uint16     { return TypePassphraseAck }
func (Cancel) MessageType() uint16            { return TypeCancel }
func (GetPublicKey) MessageType() uint16      { return TypeGetPublicKey }
func (PublicKey) MessageType() uint16         { return TypePublicKey }
func (GetAddress) MessageType() uint16        { return TypeGetAddress }
func (Address) MessageType() uint16           { return TypeAddress }
func (SignTx) MessageType() uint16            { return TypeSignTx }
func (TxRequest) MessageType() uint16         { return TypeTxRequest }
func (TxAck) MessageType() uint16             { return TypeTxAck }
func (TxAckPrevInput) MessageType() uint16    { return TypeTxAck }
func (TxAckPrevMeta) MessageType() uint16     { return TypeTxAck }
