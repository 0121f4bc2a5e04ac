// The Compare view's token view: on or off, and which two of its conditions every column's reply
// is scored under (A against B) and how it is shaded. One per page, like the Compare view itself.
import type { ShadeMode } from './shading.ts';

export class CompareTokens {
  on = $state(false);
  a = $state<string>('diff');
  b = $state<string>('base');
  mode = $state<ShadeMode>('delta');
}

export const compareTokens = new CompareTokens();
