// Centime transparency page: verifies a holder's proof of liabilities in the browser.
// The node only hands out the proof; the check (pol-verify.js) runs here, against the root printed on the page.
import { verifyLiabilityProof } from './pol-verify.js';

const section = document.getElementById('liabilities');
const verdict = document.getElementById('verdict');
const details = document.getElementById('proof-details');
const proofView = document.getElementById('proof-json');
const published = {
  coin: section.dataset.coin,
  decimals: Number(section.dataset.decimals),
  height: section.dataset.height,
  root: { hash: section.dataset.rootHash, total: section.dataset.rootTotal },
};

function formatUnits(minor, decimals) {
  const digits = BigInt(minor).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let fraction = decimals === 0 ? '' : digits.slice(digits.length - decimals).replace(/0+$/, '');
  if (decimals >= 2 && fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return fraction ? `${whole}.${fraction}` : whole;
}

function show(state, title, lines = [], code = '') {
  verdict.dataset.state = state;
  verdict.dataset.code = code;
  verdict.replaceChildren();
  const heading = document.createElement('strong');
  heading.textContent = title;
  verdict.append(heading);
  for (const line of lines) {
    const p = document.createElement('div');
    p.textContent = line;
    verdict.append(p);
  }
  if (code) {
    const c = document.createElement('div');
    c.className = 'code';
    c.textContent = `code: ${code}`;
    verdict.append(c);
  }
}

async function check(proof, expectedAddress) {
  proofView.textContent = JSON.stringify(proof, null, 2);
  details.hidden = false;
  const result = await verifyLiabilityProof(proof, published.root);
  if (!result.valid) {
    show('invalid', 'Not verified: this proof does not match the published root.', [result.reason], result.code);
    return;
  }
  if (proof.coin !== published.coin) {
    show('invalid', `Not verified: the proof is for ${proof.coin}, this page is ${published.coin}.`, [], 'coin_mismatch');
    return;
  }
  if (expectedAddress && proof.address.toLowerCase() !== expectedAddress.toLowerCase()) {
    show('invalid', 'Not verified: the proof is for another address.', [proof.address], 'address_mismatch');
    return;
  }
  show('valid', 'Verified: your balance is counted in the published liabilities.', [
    `${proof.address} holds ${formatUnits(proof.balance, published.decimals)} ${published.coin} at block ${proof.height}.`,
    `Recomputed root ${published.root.hash} with total ${formatUnits(published.root.total, published.decimals)} ${published.coin} — the one published above.`,
  ], result.code);
}

async function run(button, work) {
  button.disabled = true;
  show('working', 'Checking…');
  try {
    await work();
  } catch (error) {
    show('error', 'Could not check the proof.', [String(error && error.message ? error.message : error)], 'error');
  } finally {
    button.disabled = false;
  }
}

document.getElementById('by-address').addEventListener('submit', (event) => {
  event.preventDefault();
  const address = document.getElementById('address').value.trim();
  run(document.getElementById('verify-address'), async () => {
    const url = `/v1/coins/${encodeURIComponent(published.coin)}/liabilities/proof/${encodeURIComponent(address)}`;
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const code = body && body.code ? body.code : `http_${response.status}`;
      show('error', 'No proof for this address.', [body && body.detail ? body.detail : response.statusText], code);
      details.hidden = true;
      return;
    }
    await check(body, address);
  });
});

document.getElementById('by-proof').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = document.getElementById('proof').value;
  run(document.getElementById('verify-proof'), async () => {
    let proof;
    try {
      proof = JSON.parse(text);
    } catch (error) {
      show('invalid', 'Not verified: that is not JSON.', [error.message], 'malformed_proof');
      details.hidden = true;
      return;
    }
    await check(proof, null);
  });
});
