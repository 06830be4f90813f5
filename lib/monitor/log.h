/* container.log in CRI format, "<RFC3339Nano> <stdout|stderr|lrctl> <F|P> <bytes>\n",
 * rotated by size between entries (never inside one). Writes are whole
 * entries: a short write (a full disk) is cut back, and the output is then
 * dropped, never held (the container must not block), counted in
 * logDroppedBytes and noted as a gap once writing works again. */
#ifndef LRCTL_LOG_H
#define LRCTL_LOG_H
#include <stddef.h>
#include <sys/types.h>

/* Opens the log (or takes over `fd`, an upgraded monitor's); -1 if it cannot be opened. */
int log_open(int fd, long long dropped_before);
void log_write(const char *stream, const char *data, size_t len);
/* An lrctl event entry (a restart, a health change): `logs` shows it on stderr. */
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Where the next entry goes: the file's inode and size, and the time of the last entry. */
struct log_pos {
  unsigned long long ino;
  long long pos;
  char time[40];
};
void log_where(struct log_pos *p);
long long log_dropped(void);
int log_fd(void);
/* Gives the write buffer's pages back (an idle monitor). */
void log_trim(void);
/* Tells state.json a dropped count not yet told. */
void log_flush_dropped(void);
/* fsync and close; once the exit is published. */
void log_close(void);
#endif
