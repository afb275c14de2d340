/**
 * CRX3, the package format Chromium installs extensions from, written and read with node:crypto.
 *
 *   "Cr24" | le32 3 | le32 header length | CrxFileHeader (protobuf) | ZIP archive
 *
 * CrxFileHeader (Chromium's components/crx_file/crx3.proto):
 *   repeated AsymmetricKeyProof sha256_with_rsa = 2;    // { bytes public_key = 1; bytes signature = 2; }
 *   repeated AsymmetricKeyProof sha256_with_ecdsa = 3;
 *   bytes signed_header_data = 10000;                   // SignedData { bytes crx_id = 1; }
 *
 * Each signature is RSASSA-PKCS1-v1_5 with SHA-256 over
 *   "CRX3 SignedData\x00" | le32 len(signed_header_data) | signed_header_data | ZIP archive
 * and crx_id is the first 16 bytes of SHA-256 of the signing public key (DER SubjectPublicKeyInfo),
 * which is also, written in the letters a–p, the extension id.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const MAGIC = Buffer.from('Cr24', 'latin1');
const VERSION = 3;
const SIGNATURE_CONTEXT = Buffer.from('CRX3 SignedData\x00', 'latin1');

const HEADER_SHA256_WITH_RSA = 2;
const HEADER_SHA256_WITH_ECDSA = 3;
const HEADER_SIGNED_HEADER_DATA = 10000;
const PROOF_PUBLIC_KEY = 1;
const PROOF_SIGNATURE = 2;
const SIGNED_DATA_CRX_ID = 1;

/** Protobuf wire types used here. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** The organisation's signing key, from a PEM file (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`). */
export function loadSigningKey(pem: string | Buffer): KeyObject {
  const text = pem.toString();
  // PKCS#8 `ENCRYPTED PRIVATE KEY`, or a PKCS#1 key with OpenSSL's `Proc-Type: 4,ENCRYPTED` header.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    throw new Error('the key is encrypted: decrypt a copy for packing (openssl pkey -in key.pem -out plain.pem)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new Error(`not a PEM private key (PKCS#8 or PKCS#1): ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`the key must be RSA (CRX3 sha256_with_rsa), got ${key.asymmetricKeyType}`);
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('the RSA key must have at least 2048 bits');
  return key;
}

/** DER SubjectPublicKeyInfo of a key's public half: what the CRX header and the manifest `key` carry. */
export function publicKeyDer(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/** The first 16 bytes of SHA-256 of the DER public key. */
export function crxIdOf(publicKey: Buffer): Buffer {
  return createHash('sha256').update(publicKey).digest().subarray(0, 16);
}

/** An extension id: the crx id's hex digits written with the letters a–p (0 → a … f → p). */
export function extensionIdOf(publicKey: Buffer): string {
  return extensionIdFromCrxId(crxIdOf(publicKey));
}

export function extensionIdFromCrxId(crxId: Buffer): string {
  return [...crxId.toString('hex')].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join('');
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function lengthDelimited(field: number, value: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + LEN), varint(value.length), value]);
}

function signedData(crxId: Buffer): Buffer {
  return lengthDelimited(SIGNED_DATA_CRX_ID, crxId);
}

function signedPayload(signedHeaderData: Buffer, zip: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(signedHeaderData.length);
  return [SIGNATURE_CONTEXT, length, signedHeaderData, zip];
}

/** A CRX3 package of `zip`, signed with `key`. */
export function writeCrx3(zip: Buffer, key: KeyObject): Buffer {
  const publicKey = publicKeyDer(key);
  const signedHeaderData = signedData(crxIdOf(publicKey));
  const signature = sign('sha256', Buffer.concat(signedPayload(signedHeaderData, zip)), key);
  const proof = Buffer.concat([lengthDelimited(PROOF_PUBLIC_KEY, publicKey), lengthDelimited(PROOF_SIGNATURE, signature)]);
  const header = Buffer.concat([lengthDelimited(HEADER_SHA256_WITH_RSA, proof), lengthDelimited(HEADER_SIGNED_HEADER_DATA, signedHeaderData)]);
  const prefix = Buffer.alloc(12);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(VERSION, 4);
  prefix.writeUInt32LE(header.length, 8);
  return Buffer.concat([prefix, header, zip]);
}

interface Field {
  field: number;
  wireType: number;
  /** Length-delimited payload; empty for other wire types. */
  bytes: Buffer;
}

/** The top-level fields of a protobuf message; unknown fields of any wire type are skipped. */
function decodeFields(message: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= message.length) throw new Error('truncated protobuf varint');
      const byte = message[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error('protobuf varint too long');
    }
  };
  while (at < message.length) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    let bytes: Buffer = Buffer.alloc(0);
    if (wireType === VARINT) readVarint();
    else if (wireType === I64) at += 8;
    else if (wireType === I32) at += 4;
    else if (wireType === LEN) {
      const length = readVarint();
      if (at + length > message.length) throw new Error('truncated protobuf field');
      bytes = message.subarray(at, at + length);
      at += length;
    } else throw new Error(`unsupported protobuf wire type ${wireType}`);
    if (at > message.length) throw new Error('truncated protobuf field');
    fields.push({ field, wireType, bytes });
  }
  return fields;
}

export interface KeyProof {
  publicKey: Buffer;
  signature: Buffer;
  /** Whether the signature verifies with this proof's public key over the signed data and archive. */
  valid: boolean;
}

export interface ParsedCrx3 {
  /** The crx id the header claims (SignedData.crx_id). */
  crxId: Buffer;
  /** The extension id of that crx id. */
  extensionId: string;
  rsaProofs: KeyProof[];
  /** Count of ECDSA proofs (Chrome Web Store's own signature); not verified here. */
  ecdsaProofs: number;
  zip: Buffer;
}

/** Parses a CRX3 file and checks each RSA signature; throws when the file is not CRX3. */
export function parseCrx3(crx: Buffer): ParsedCrx3 {
  if (crx.length < 12 || !crx.subarray(0, 4).equals(MAGIC)) throw new Error('not a CRX file: no "Cr24" magic');
  const version = crx.readUInt32LE(4);
  if (version !== VERSION) throw new Error(`not a CRX3 file: version ${version}`);
  const headerLength = crx.readUInt32LE(8);
  if (12 + headerLength > crx.length) throw new Error('CRX header runs past the end of the file');
  const header = crx.subarray(12, 12 + headerLength);
  const zip = crx.subarray(12 + headerLength);
  const fields = decodeFields(header);
  const signedHeaderData = fields.find((f) => f.field === HEADER_SIGNED_HEADER_DATA && f.wireType === LEN)?.bytes;
  if (!signedHeaderData) throw new Error('CRX header has no signed_header_data');
  const crxId = decodeFields(signedHeaderData).find((f) => f.field === SIGNED_DATA_CRX_ID && f.wireType === LEN)?.bytes;
  if (!crxId || crxId.length !== 16) throw new Error('CRX signed data has no 16-byte crx_id');
  const payload = Buffer.concat(signedPayload(signedHeaderData, zip));
  const rsaProofs = fields
    .filter((f) => f.field === HEADER_SHA256_WITH_RSA && f.wireType === LEN)
    .map((f): KeyProof => {
      const proof = decodeFields(f.bytes);
      const publicKey = proof.find((p) => p.field === PROOF_PUBLIC_KEY)?.bytes ?? Buffer.alloc(0);
      const signature = proof.find((p) => p.field === PROOF_SIGNATURE)?.bytes ?? Buffer.alloc(0);
      let valid = false;
      try {
        valid = verify('sha256', payload, createPublicKey({ key: publicKey, format: 'der', type: 'spki' }), signature);
      } catch {
        valid = false;
      }
      return { publicKey: Buffer.from(publicKey), signature: Buffer.from(signature), valid };
    });
  return {
    crxId: Buffer.from(crxId),
    extensionId: extensionIdFromCrxId(crxId),
    rsaProofs,
    ecdsaProofs: fields.filter((f) => f.field === HEADER_SHA256_WITH_ECDSA).length,
    zip: Buffer.from(zip),
  };
}

/**
 * What Chromium checks before it installs a CRX3: some RSA proof's public key hashes to the crx id
 * and its signature verifies. Returns the extension id; throws with the reason otherwise.
 */
export function verifyCrx3(crx: Buffer): { extensionId: string; zip: Buffer } {
  const parsed = parseCrx3(crx);
  const developerProof = parsed.rsaProofs.find((p) => crxIdOf(p.publicKey).equals(parsed.crxId));
  if (!developerProof) throw new Error('no RSA proof in the CRX header belongs to its crx_id');
  if (!developerProof.valid) throw new Error('the CRX signature does not verify');
  const invalid = parsed.rsaProofs.filter((p) => !p.valid).length;
  if (invalid) throw new Error(`${invalid} RSA proof(s) in the CRX header do not verify`);
  return { extensionId: parsed.extensionId, zip: parsed.zip };
}
