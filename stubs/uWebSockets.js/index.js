// deepstream lists uWebSockets.js (a git dependency) for its optional uws endpoint. The kit uses
// deepstream's default ws endpoint, so this stand-in only has to install; using it is an error.
throw new Error(
  "uWebSockets.js is not installed: use deepstream's default websocket endpoint (ws-websocket)",
);
