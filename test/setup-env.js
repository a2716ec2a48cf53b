// Tests talk only to 127.0.0.1. A proxy in the developer's environment must
// not route them elsewhere; the proxy tests set their own variables.
for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy']) {
  delete process.env[name];
}
