/*
 * i8042.c: see i8042.h. Pure.
 */
#include "i8042.h"

uint8_t i8042_read(uint16_t port)
{
	(void)port;
	return 0; /* status: output and input buffers empty */
}

enum i8042_effect i8042_write(uint16_t port, uint8_t val)
{
	if (port == I8042_PORT_CMD && val == I8042_CMD_RESET)
		return I8042_RESET;
	return I8042_NONE;
}
