module.exports = () => 'local-pkg';
