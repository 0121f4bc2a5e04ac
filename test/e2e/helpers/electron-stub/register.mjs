// node --import ./register.mjs out/main/index.js
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
