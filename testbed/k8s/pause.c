/* pause.c (testbed/k8s-images.sh builds it into the pause image) — the pod sandbox ("infra") container's process for kubelet's
 * --pod-infra-container-image: it only holds the pod's namespaces open. Exits 0 on SIGINT/SIGTERM,
 * reaps children (it is PID 1 of the pod when the PID namespace is shared), otherwise sleeps.
 * Built static (gcc -static) so the image needs nothing else. */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }

int main(void) {
  struct sigaction q = {0}, r = {0};
  q.sa_handler = quit;
  sigaction(SIGINT, &q, NULL);
  sigaction(SIGTERM, &q, NULL);
  r.sa_handler = reap;
  r.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &r, NULL);
  for (;;) pause();
}
