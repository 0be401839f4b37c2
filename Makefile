# Cell: build, run and test every stage.
#
#   make [STAGE=NN]         build the stages (all present, or one)
#   make shell [STAGE=NN]   a shell in that stage's container (default: the highest stage)
#   make test [STAGE=NN]    run the tests; ends with "N passed, N failed, N skipped"
#                           (on a cgroup v1 host, 06's tests and 10's cgroup tests again
#                           in a cgroup v2 VM; VM=no skips)
#   make check              -Werror build, clang-format, tests under ASan/UBSan
#   make rootfs             the default root filesystem, in labs/rootfs; with stage 10
#                           built, also the image cell/busybox of cell's store
#   make deps               install the Debian/Ubuntu packages the toolkit needs
#   make doctor             can this host run each stage, and if not, why
#   make clean-host         remove what a killed container left on the host
#   make handout [MODE=all|one] [STAGE=NN] [HANDOUT=DIR]
#                           the student tree, stubbed, in DIR (handout/cell) and DIR.tar.gz
#   make grade [STAGE=NN|capstone] [RESULTS=FILE] [PROGRAM=PATH]
#                           the tests with points, "Score: X/Y", Gradescope's results.json
#   make clean              remove what the build made

STAGES := $(sort $(patsubst %/,%,$(wildcard [0-9][0-9]-*/)))
# make grade STAGE=capstone grades the capstone alone (labs/capstone.md)
ifeq ($(STAGE),capstone)
GRADE_WHAT := capstone
override STAGE :=
endif
ifdef STAGE
SELECTED := $(filter $(STAGE)-%,$(STAGES))
ifeq ($(SELECTED),)
$(error STAGE=$(STAGE): no such stage (there are: $(STAGES)))
endif
SHELL_STAGE := $(SELECTED)
else
SELECTED := $(STAGES)
# the newest stage whose program is a `container` (10 is a runtime)
SHELL_STAGE := $(lastword $(filter-out 10-%,$(STAGES)))
endif
NUMBERS := $(foreach s,$(SELECTED),$(firstword $(subst -, ,$(s))))

ROOTFS := labs/rootfs
BUSYBOX := labs/cache/busybox

all: build

build:
	@for s in $(SELECTED); do $(MAKE) --no-print-directory -C $$s $(BUILD_ARGS) || exit 1; done
	@$(MAKE) --no-print-directory image

# The default root file system is also stage 10's default image,
# cell/busybox in /var/lib/cell (cell run cell/busybox): imported again
# when the tree changed since, its old image removed (unless a container
# still uses it). Only as root, with the tree and cell built.
CELL := 10-full-runtime/cell
IMAGE_ID := labs/cache/cell-busybox.id
image:
	@if [ "$$(id -u)" = 0 ] && [ -x $(CELL) ] && [ -f labs/cache/rootfs.sha256 ]; then \
		$(MAKE) --no-print-directory $(IMAGE_ID); fi
$(IMAGE_ID): labs/cache/rootfs.sha256
	@old=$$(cat $@ 2>/dev/null); \
	if [ -n "$$old" ] && $(CELL) image inspect "$$old" >/dev/null 2>&1 && \
		[ "$$(cat $@.rootfs 2>/dev/null)" = "$$(cat $<)" ]; then touch $@; exit 0; fi; \
	new=$$($(CELL) image import -q -c 'CMD ["sh"]' $(ROOTFS) cell/busybox) || exit 1; \
	echo "image: cell/busybox is $$new"; echo "$$new" >$@; cp $< $@.rootfs; \
	if [ -n "$$old" ] && [ "$$old" != "$$new" ]; then $(CELL) image rm "$$old" >/dev/null 2>&1 || true; fi

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
	@$(MAKE) --no-print-directory image

# A login shell reads /etc/profile, whose prompt shows the container's hostname.
# The shell's own exit status (that of its last command) is no failure of
# make's; only the tool's 125 is.
SHELL_ARGS ?= -v
shell: deps build rootfs
	@[ -x ./$(SHELL_STAGE)/container ] || { echo "make shell: $(SHELL_STAGE) has no container program: its lab notes show how to run it" >&2; exit 1; }
	./$(SHELL_STAGE)/container $(SHELL_ARGS) /bin/sh -l || [ $$? -ne 125 ]

# Both cgroup versions are tested on every run: on a host whose cgroup v2 tree
# has no memory controller (v1 or hybrid, like many CI machines), the cgroup
# stage's tests run a second time in a VM with cgroup v2 (labs/vm; about five
# minutes, emulated), and so do stage 10's tests of what differs between the
# versions: the runtime's and cell's whose names say "cgroup" or "freez"
# (the freezer), and rootless cell's that say "cgroup" (a delegated v2
# subtree), about three minutes more. make test-vm STAGE=10 runs all of
# stage 10's there; the VM's kernel is given no bridge or nftables modules
# yet, so the tests of cell's networks (and of what runs on them) fail
# there. VM=no leaves the VM out, VM=yes runs it on any host.
VM ?= auto
VM_STAGES := $(strip $(filter 06,$(NUMBERS)) \
	$(if $(filter 10,$(NUMBERS)),'10-full-runtime:cgroup|freez' '10-cell:cgroup|freez' \
		'10-rootless:cgroup|VM'))
HOST_HAS_V2 := $(shell grep -qsw memory /sys/fs/cgroup/cgroup.controllers \
	/sys/fs/cgroup/unified/cgroup.controllers && echo yes)
ifeq ($(VM),no)
VM_STAGES :=
else ifeq ($(VM)$(HOST_HAS_V2),autoyes)
VM_STAGES :=
endif

# Without STAGE, the capstone's tests and the kit's own (grading, clean-host)
# too, those of them this tree has: a student's has neither of the kit's.
KIT_TESTS := $(basename $(notdir $(wildcard tests/capstone.bats tests/labs.bats \
	tests/clean-host.bats)))
test: deps build rootfs $(if $(VM_STAGES),vm-deps)
	@tests/run $(NUMBERS) $(if $(STAGE),,$(KIT_TESTS)) $(if $(VM_STAGES),--vm $(VM_STAGES))

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

# The student tree (labs/README.md, "Hand out"): MODE=all, every stage to
# do; MODE=one, earlier stages solved and STAGE to do. STAGE is the last
# stage handed out.
MODE ?= all
HANDOUT ?= handout/cell
handout:
	@bash labs/handout.sh --mode $(MODE) $(if $(STAGE),--stage $(STAGE)) --out $(HANDOUT)

# The tests with their points (labs/README.md, "Grade"). The stages build
# themselves in the grader: one that does not build scores 0, and the others
# are still graded.
RESULTS ?= results.json
GRADE_WHAT ?= $(if $(STAGE),$(NUMBERS))
grade: deps rootfs
	@bash labs/grade.sh --results $(RESULTS) $(if $(PROGRAM),--program $(PROGRAM)) $(GRADE_WHAT)

clean-host:
	@bash labs/clean-host.sh

clean:
	@for s in $(STAGES); do $(MAKE) --no-print-directory -C $$s clean; done
	rm -rf labs/bin $(ROOTFS) handout results.json

.PHONY: all build image deps rootfs shell test check doctor handout grade clean-host clean

# make test-vm: the tests again in a VM with a cgroup v2 hierarchy.
-include labs/vm/vm.mk
