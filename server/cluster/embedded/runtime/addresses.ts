/** Fixed addresses of the simulated cluster network. */

/** The simulated node's InternalIP (as kind's first node). */
export const nodeIp = '172.18.0.2';
/** The kubernetes Service's ClusterIP: the first address of 10.96.0.0/12. */
export const kubernetesServiceIpAddress = '10.96.0.1';
