// Entry of the page: picks the API transport (see api/index.ts) and mounts the app.
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { pickApi } from './api/index.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

mount(App, { target, props: { api: pickApi() } });
