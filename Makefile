# Cell: build, run and test every stage.
#
#   make [STAGE=NN]         build the stages (all present, or one)
#   make shell [STAGE=NN]   a shell in that stage's container (default: the highest stage)
#   make test [STAGE=NN]    run the tests; ends with "N passed, N failed, N skipped"
#   make check              -Werror build, clang-format, tests under ASan/UBSan
#   make rootfs             the default root filesystem, in labs/rootfs
#   make deps               install the Debian/Ubuntu packages the toolkit needs
#   make doctor             can this host run each stage, and if not, why
#   make clean-host         remove what a killed container left on the host
#   make clean              remove what the build made

STAGES := $(sort $(patsubst %/,%,$(wildcard [0-9][0-9]-*/)))
ifdef STAGE
SELECTED := $(filter $(STAGE)-%,$(STAGES))
ifeq ($(SELECTED),)
$(error STAGE=$(STAGE): no such stage (there are: $(STAGES)))
endif
SHELL_STAGE := $(SELECTED)
else
SELECTED := $(STAGES)
SHELL_STAGE := $(lastword $(STAGES))
endif
NUMBERS := $(foreach s,$(SELECTED),$(firstword $(subst -, ,$(s))))

ROOTFS := labs/rootfs
BUSYBOX := labs/cache/busybox

all: build

build:
	@for s in $(SELECTED); do $(MAKE) --no-print-directory -C $$s $(BUILD_ARGS) || exit 1; done

deps:
	@bash labs/deps.sh $(NUMBERS)

$(BUSYBOX):
	@bash labs/deps.sh $(NUMBERS)

# The tree is rebuilt when its recipe or a workload changed, and when its
# contents no longer match the hash recorded at the last build (a lab
# exercise that wrote into it, say).
rootfs: labs/cache/rootfs.sha256
	@[ "$$(bash labs/rootfs.sh --hash $(ROOTFS) 2>/dev/null)" = "$$(cat $<)" ] || { \
		echo "rootfs: $(ROOTFS) differs from its last build; building it again"; \
		rm -f $<; $(MAKE) --no-print-directory $<; }
labs/cache/rootfs.sha256: labs/rootfs.sh $(BUSYBOX) $(wildcard labs/workloads/*.[ch]) labs/workloads/Makefile
	@$(MAKE) --no-print-directory -C labs/workloads
	@bash labs/rootfs.sh $(ROOTFS) $(BUSYBOX) labs/bin
	@bash labs/rootfs.sh --hash $(ROOTFS) >$@

# A login shell reads /etc/profile, whose prompt shows the container's hostname.
# The shell's own exit status (that of its last command) is no failure of
# make's; only the tool's 125 is.
SHELL_ARGS ?= -v
shell: deps build rootfs
	./$(SHELL_STAGE)/container $(SHELL_ARGS) /bin/sh -l || [ $$? -ne 125 ]

test: deps build rootfs
	@tests/run $(NUMBERS)

# Warnings as errors, the project's .clang-format, then every test again
# against a build with AddressSanitizer and UBSan. Their reports go to files,
# not to stderr, where they would mix with what the tests compare (a child
# started by clone() on a stack of its own makes ASan print a warning). The
# files are in /tmp because that path exists inside the containers too.
SANLOG := /tmp/cell-sanitizer
check: deps rootfs
	@$(MAKE) --no-print-directory build BUILD_ARGS="-B WERROR=1"
	@$(MAKE) --no-print-directory -B -C labs/workloads EXTRA_CFLAGS=-Werror
	@echo "clang-format: checking $(words $(SOURCES)) files"
	@clang-format --dry-run --Werror $(SOURCES)
	@$(MAKE) --no-print-directory build BUILD_ARGS="SANITIZE=1"
	@rm -f $(SANLOG).*
	@ASAN_OPTIONS=detect_leaks=1:log_path=$(SANLOG) \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		UBSAN_OPTIONS=print_stacktrace=1:log_path=$(SANLOG) \
		CELL_BINARY=container-san tests/run $(NUMBERS); rc=$$?; \
	if grep -l -e 'ERROR: ' -e 'runtime error' $(SANLOG).* 2>/dev/null; then \
		echo "check: the sanitizers found errors: see the files above"; exit 1; fi; \
	rm -f $(SANLOG).*; exit $$rc

SOURCES = $(wildcard [0-9][0-9]-*/*.c [0-9][0-9]-*/*.h labs/workloads/*.[ch])

doctor:
	@bash labs/doctor.sh

clean-host:
	@bash labs/clean-host.sh

clean:
	@for s in $(STAGES); do $(MAKE) --no-print-directory -C $$s clean; done
	rm -rf labs/bin $(ROOTFS)

.PHONY: all build deps rootfs shell test check doctor clean-host clean

# make test-vm: the tests again in a VM with a cgroup v2 hierarchy.
-include labs/vm/vm.mk
