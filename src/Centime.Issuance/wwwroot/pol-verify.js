// Centime proof-of-liabilities verifier for browsers (and Node ≥ 20). ES module, no dependencies.
//
// Verifies a holder's inclusion proof in the issuer's Merkle-sum tree against the root the issuer published,
// exactly as Centime.Issuance.LiabilityProofVerifier does in C# (same checks, same order, same codes):
//
//   leaf = SHA-256(0x00 ‖ address[20] ‖ balance u128 little-endian[16] ‖ salt[32])
//   node = SHA-256(0x01 ‖ leftHash[32] ‖ leftSum u128 LE[16] ‖ rightHash[32] ‖ rightSum u128 LE[16])
//   sum(node) = leftSum + rightSum, and every balance, sum and total must be within 0 … 2^127 − 1.
//
// Usage:
//   import { verifyLiabilityProof } from './pol-verify.js';
//   const verdict = await verifyLiabilityProof(proofJsonObject, { hash: '0x…', total: '…' });
//   // verdict = { valid: true|false, code: 'valid' | 'malformed_proof' | 'amount_out_of_range' | 'sum_overflow'
//   //             | 'path_too_long' | 'root_hash_mismatch' | 'root_total_mismatch', reason: '…' }
//
// Always compare against the root the issuer published (its transparency page, a signed statement), never only the
// root carried inside the proof file.

export const MAX_AMOUNT = (1n << 127n) - 1n;
export const MAX_PATH_LENGTH = 64;
const MAX_HEIGHT = (1n << 64n) - 1n;
const ADDRESS_SIZE = 20;
const HASH_SIZE = 32;

class VerdictError extends Error {
  constructor(code, reason) {
    super(reason);
    this.code = code;
  }
}

const malformed = (reason) => new VerdictError('malformed_proof', reason);

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function getString(object, name, where) {
  const value = Object.prototype.hasOwnProperty.call(object, name) ? object[name] : undefined;
  if (typeof value !== 'string') {
    throw malformed(`${where} must be a string`);
  }
  return value;
}

function parseHex(text, size) {
  if (text.length !== 2 + 2 * size || !text.startsWith('0x') || !/^[0-9a-fA-F]*$/.test(text.slice(2))) {
    return null;
  }
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16);
  }
  return bytes;
}

function getHash(object, name, where) {
  const text = getString(object, name, where);
  const bytes = parseHex(text, HASH_SIZE);
  if (bytes === null) {
    throw malformed(`${where} must be 0x followed by 64 hex digits`);
  }
  return bytes;
}

function getAmount(object, name, where) {
  const value = Object.prototype.hasOwnProperty.call(object, name) ? object[name] : undefined;
  if (typeof value !== 'string') {
    throw malformed(`${where} must be a decimal string`);
  }
  if (/^-[0-9]+$/.test(value)) {
    throw new VerdictError('amount_out_of_range', `${where} is negative (${value}); balances and sums are never below zero`);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(value)) {
    throw malformed(`${where} must be a decimal string without sign, leading zeros, spaces or exponent`);
  }
  const amount = BigInt(value);
  if (amount > MAX_AMOUNT) {
    throw new VerdictError('amount_out_of_range', `${where} ${value} is above 2^127 − 1`);
  }
  return amount;
}

function parseRoot(value, where) {
  if (!isObject(value)) {
    throw malformed(`${where} must be an object`);
  }
  return { hash: getHash(value, 'hash', `${where}.hash`), total: getAmount(value, 'total', `${where}.total`) };
}

// Field order and rules mirror LiabilityProofJson.TryRead in C#; keep them in step.
function parseProof(proof) {
  if (!isObject(proof)) {
    throw malformed('the proof is not a JSON object');
  }
  if (proof.version !== 1) {
    throw malformed('version must be 1');
  }
  getString(proof, 'coin', 'coin');
  const height = getString(proof, 'height', 'height');
  if (!/^(0|[1-9][0-9]*)$/.test(height) || BigInt(height) > MAX_HEIGHT) {
    throw malformed('height must be a decimal string of at most 2^64 − 1');
  }
  const address = parseHex(getString(proof, 'address', 'address'), ADDRESS_SIZE);
  if (address === null) {
    throw malformed('address must be 0x followed by 40 hex digits');
  }
  const balance = getAmount(proof, 'balance', 'balance');
  const salt = getHash(proof, 'salt', 'salt');
  if (!Array.isArray(proof.path)) {
    throw malformed('path must be an array');
  }
  const path = proof.path.map((step, index) => {
    const where = `path[${index}]`;
    if (!isObject(step)) {
      throw malformed(`${where} must be an object`);
    }
    const side = getString(step, 'side', `${where}.side`);
    if (side !== 'left' && side !== 'right') {
      throw malformed(`${where}.side must be "left" or "right"`);
    }
    return { siblingOnLeft: side === 'left', hash: getHash(step, 'hash', `${where}.hash`), sum: getAmount(step, 'sum', `${where}.sum`) };
  });
  if (!Object.prototype.hasOwnProperty.call(proof, 'root')) {
    throw malformed('root must be an object');
  }
  parseRoot(proof.root, 'root');
  if (path.length > MAX_PATH_LENGTH) {
    throw new VerdictError('path_too_long', `the path has ${path.length} steps; at most ${MAX_PATH_LENGTH} are possible`);
  }
  return { address, balance, salt, path };
}

function writeU128LE(target, offset, value) {
  let v = value;
  for (let i = 0; i < 16; i++) {
    target[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

async function sha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

export async function leafHash(address, balance, salt) {
  const input = new Uint8Array(1 + ADDRESS_SIZE + 16 + HASH_SIZE);
  input[0] = 0x00;
  input.set(address, 1);
  writeU128LE(input, 1 + ADDRESS_SIZE, balance);
  input.set(salt, 1 + ADDRESS_SIZE + 16);
  return sha256(input);
}

export async function nodeHash(leftHash, leftSum, rightHash, rightSum) {
  const input = new Uint8Array(1 + HASH_SIZE + 16 + HASH_SIZE + 16);
  input[0] = 0x01;
  input.set(leftHash, 1);
  writeU128LE(input, 33, leftSum);
  input.set(rightHash, 49);
  writeU128LE(input, 81, rightSum);
  return sha256(input);
}

function toHex(bytes) {
  return '0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function equalBytes(a, b) {
  if (a.length !== b.length) {
    return false;
  }
  let difference = 0;
  for (let i = 0; i < a.length; i++) {
    difference |= a[i] ^ b[i];
  }
  return difference === 0;
}

/**
 * Verifies an inclusion proof (the parsed JSON object the issuer gave the holder) against the published root
 * ({ hash: '0x…', total: 'decimal string' }). Never throws for bad input: returns { valid, code, reason }.
 */
export async function verifyLiabilityProof(proof, publishedRoot) {
  try {
    const root = parseRoot(publishedRoot, 'published root');
    const { address, balance, salt, path } = parseProof(proof);
    let hash = await leafHash(address, balance, salt);
    let sum = balance;
    for (let i = 0; i < path.length; i++) {
      const step = path[i];
      const parentSum = sum + step.sum;
      if (parentSum > MAX_AMOUNT) {
        throw new VerdictError('sum_overflow', `step ${i}: ${sum} + ${step.sum} is above 2^127 − 1`);
      }
      hash = step.siblingOnLeft ? await nodeHash(step.hash, step.sum, hash, sum) : await nodeHash(hash, sum, step.hash, step.sum);
      sum = parentSum;
    }
    if (!equalBytes(hash, root.hash)) {
      throw new VerdictError('root_hash_mismatch', `the path leads to root ${toHex(hash)}, not the published ${toHex(root.hash)}`);
    }
    if (sum !== root.total) {
      throw new VerdictError('root_total_mismatch', `the path adds up to ${sum}, not the published total ${root.total}`);
    }
    return { valid: true, code: 'valid', reason: `${proof.address} holds ${balance} in a tree totalling ${sum}, root ${toHex(hash)}` };
  } catch (error) {
    if (error instanceof VerdictError) {
      return { valid: false, code: error.code, reason: error.message };
    }
    return { valid: false, code: 'malformed_proof', reason: String(error && error.message ? error.message : error) };
  }
}
