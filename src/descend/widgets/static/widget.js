// placeholder replaced below
export default { render() {} };
