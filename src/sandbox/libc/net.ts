/** Network device calls: bring an interface up with ioctl(SIOCSIFFLAGS) on a datagram socket. */
import { check, fn } from './libc';
import { close } from './fd';

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const IFNAMSIZ = 16;

/** Sets IFF_UP on an interface of the calling thread's network namespace (e.g. "lo"). */
export function interfaceUp(name: string): void {
  const sock = check('socket', 'AF_INET, SOCK_DGRAM', fn('int socket(int domain, int type, int protocol)')(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  try {
    const ifreq = Buffer.alloc(40); // struct ifreq { char ifr_name[16]; short ifr_flags; ... }
    ifreq.write(name, 0, IFNAMSIZ - 1, 'latin1');
    const ioctl = fn('int ioctl(int fd, unsigned long request, ...)');
    check('ioctl', `${name}, SIOCGIFFLAGS`, ioctl(sock, SIOCGIFFLAGS, 'void *', ifreq));
    ifreq.writeInt16LE(ifreq.readInt16LE(IFNAMSIZ) | IFF_UP, IFNAMSIZ);
    check('ioctl', `${name}, SIOCSIFFLAGS, IFF_UP`, ioctl(sock, SIOCSIFFLAGS, 'void *', ifreq));
  } finally {
    close(sock);
  }
}
