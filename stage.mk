# Build rules every stage shares. A stage's Makefile sets LDLIBS (the libraries
# its container.c needs) and includes this file; the C code itself is never shared.
#
#   make                 build ./container
#   make SANITIZE=1      build ./container-san with AddressSanitizer and UBSan
#   make WERROR=1        treat warnings as errors (what `make check` uses)

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

CC ?= cc
CFLAGS ?= -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	  -Wmissing-prototypes
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif

# The default root filesystem (`make rootfs`), compiled in so that a stage
# runs with no --rootfs from wherever it is started.
CELL_ROOTFS ?= $(TOP)/labs/rootfs
CPPFLAGS += -DCELL_ROOTFS='"$(CELL_ROOTFS)"'

ifeq ($(SANITIZE),1)
PROG := container-san
CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
PROG := container
endif

all: $(PROG)

# Libraries go after the object that needs them.
$(PROG): container.c $(MAKEFILE_LIST)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ container.c $(LDLIBS)

clean:
	rm -f container container-san

.PHONY: all clean
