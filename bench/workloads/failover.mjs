export async function failover() { throw new Error('not measured yet'); }
