const http = require('node:http');
http.createServer((_req, res) => res.end('hello\n')).listen(3000);
