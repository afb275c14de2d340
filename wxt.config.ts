import { defineConfig } from 'wxt';

/**
 * Public half of the development signing key. It pins the extension id
 * (nkijplgmibanljkegkjkejpfabaklpdd) for unpacked builds, which enterprise policy and the e2e tests
 * address the extension by. Organisations that self-distribute replace it with their own key.
 */
const DEV_MANIFEST_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0bux+6SIrgI5cj9L4q6YpfzmkxG8eGP0glqj4u0wjvpmcikZtodGwQ5fda17PCs7v2UY5o1RhGZeafpcj6RrzcPqw9tqkn6NdFsUUqf2ltQGgP0RAOtritnb8/iVbyYRO72cg+fpC2sW35NR1kI6w0xgc1dd+jzUdYawAZBJa6nmxBo3kTOQ7OFKbQBxjCovSMSeWWUyfHH7pAHRZTww8mFX8MSNX2cukw3WTsFI/J/BUZ86ocUCDGymFSvQnv4uRCYMxFEmfhs8EGFCfKp0aww8wNv6+NKWY93raQJ57/32lbUkvVDC6/yItjyBQFfaGn4huAwlkRkDRdOuQ3Xp+wIDAQAB';

export default defineConfig({
  // `npm run zip:firefox` also packs the sources AMO reviews: never a signing key or a packed CRX
  // that happens to lie in the checkout.
  zip: { excludeSources: ['**/*.pem', '**/*.crx', '**/*.xpi'] },
  modules: ['@wxt-dev/module-react'],
  // The UI is written against React's API and rendered by Preact's compatible implementation: the
  // overlay loads on every helpdesk page, where React DOM alone cost ~200 KB of script to parse and
  // most of the 50 ms main-thread budget at ticket open (bench/results/overlay.md).
  vite: () => ({
    resolve: {
      alias: [
        { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
        { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
        { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
        { find: /^react-dom$/, replacement: 'preact/compat' },
        { find: /^react$/, replacement: 'preact/compat' },
      ],
    },
  }),
  // Explicit imports everywhere: extension code is also imported by the server and by plain vitest.
  imports: false,
  manifest: ({ browser, manifestVersion }) => ({
    name: 'Loopdesk',
    description: 'Suggested replies and in-workflow feedback for support agents.',
    key: DEV_MANIFEST_KEY,
    permissions: ['storage', 'alarms'],
    // The backend the background worker talks to; other hosts are requested at run time.
    host_permissions: ['http://127.0.0.1/*', 'http://localhost/*'],
    // Manifest V2 (the Firefox build) has no optional_host_permissions, and WXT drops the key there
    // rather than moving it: without this, Firefox could never grant the options page's server origin.
    ...(manifestVersion === 2
      ? { optional_permissions: ['https://*/*', 'http://*/*'] }
      : { optional_host_permissions: ['https://*/*', 'http://*/*'] }),
    // Enterprise policy (Chrome/Edge `3rdparty` extension policy, Firefox `policies.json`) arrives in
    // `storage.managed`; the schema names what an administrator may set (docs/admins-readme-section.md).
    storage: { managed_schema: 'managed_schema.json' },
    // Firefox addresses the add-on by this id, in policies.json among other places. Since Firefox 140
    // (and for every new add-on on AMO) the manifest states what leaves the browser: ticket text
    // (page content, customer messages, the names and addresses in them, redacted only as configured)
    // and the agent's actions on suggestions, all sent to the organisation's Loopdesk server.
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'loopdesk@loopdesk.dev',
              data_collection_permissions: {
                required: ['websiteContent', 'personalCommunications', 'personallyIdentifyingInfo', 'websiteActivity'],
              },
            },
          },
        }
      : {}),
  }),
});
