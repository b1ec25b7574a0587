/*
 * i8042.h: just enough of the PS/2 controller for a guest to reset the
 * machine: the "pulse reset line" command (0xfe) written to the command
 * port ends the VM as a reboot. Pure.
 * Inputs: guest port writes. Spec: the IBM PC/AT 8042 command set.
 */
#ifndef MOAT_VMM_I8042_H
#define MOAT_VMM_I8042_H

#include <stdint.h>

#define I8042_PORT_DATA 0x60
#define I8042_PORT_CMD 0x64
#define I8042_CMD_RESET 0xfe

enum i8042_effect { I8042_NONE, I8042_RESET };

/* Status and data reads: an idle controller with empty buffers. */
uint8_t i8042_read(uint16_t port);
enum i8042_effect i8042_write(uint16_t port, uint8_t val);

#endif
