/** Entry of the team leads' dashboard, served at `/dashboard` (server/dashboard.ts). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

const root = document.getElementById('root')!;
root.removeAttribute('aria-busy');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
