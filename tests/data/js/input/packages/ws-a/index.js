module.exports = 'ws-a';
