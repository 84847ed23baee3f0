// The real node's test DNS responder: answers every query on UDP port 53 with one A record,
// 198.19.0.53 (an address nothing dials), so a test sees a real DNS exchange succeed or time
// out through NetworkPolicies. Built static into the test image (e2e/cluster/node_image.sh).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(53)};
  if (fd < 0 || bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    perror("dns-responder: bind udp/53");
    return 1;
  }
  fprintf(stderr, "dns-responder: answering on udp/53\n");
  for (;;) {
    unsigned char msg[512 + 16];
    struct sockaddr_in peer;
    socklen_t peer_len = sizeof peer;
    ssize_t n = recvfrom(fd, msg, 512, 0, (struct sockaddr*)&peer, &peer_len);
    if (n < 12) continue;
    // The question ends after its name (labels up to a zero byte) and 4 bytes of type and class.
    size_t end = 12;
    while (end < (size_t)n && msg[end] != 0) end += msg[end] + 1;
    end += 5;
    if (end > (size_t)n) continue;
    msg[2] = 0x81;  // a response, recursion desired
    msg[3] = 0x80;  // recursion available, no error
    msg[4] = 0, msg[5] = 1;                               // one question
    msg[6] = 0, msg[7] = 1;                               // one answer
    memset(msg + 8, 0, 4);                                // no authority, no additional
    const unsigned char answer[] = {0xc0, 0x0c,           // the question's name
                                    0,    1,    0, 1,     // type A, class IN
                                    0,    0,    0, 5,     // TTL 5 s
                                    0,    4,              // 4 bytes of address
                                    198,  19,   0, 53};
    memcpy(msg + end, answer, sizeof answer);
    sendto(fd, msg, end + sizeof answer, 0, (struct sockaddr*)&peer, peer_len);
  }
}
