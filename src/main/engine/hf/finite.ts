// Weights with NaN or Infinity make a model answer garbage ("!!!!!!!!") while everything reports
// success. Every reader of weights a stranger made checks each tensor once, as it is read, and
// names the file and the tensor.

/** Throws `file: tensor "name" holds NaN/Infinity at element i` for the first non-finite value; returns data. */
export function assertFinite<T extends Float32Array>(data: T, file: string, tensor: string): T {
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    // x - x is 0 for every finite x and NaN for NaN and ±Infinity
    if (x - x !== 0) {
      const what = Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
      throw new Error(`${file}: tensor "${tensor}" holds ${what} at element ${i}; refusing weights that are not finite numbers`);
    }
  }
  return data;
}
