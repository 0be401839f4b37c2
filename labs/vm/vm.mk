# The tests again inside a VM whose kernel has a cgroup v2 hierarchy, for
# hosts that run cgroup v1 (labs/vm/README.md). Included by the top-level
# Makefile, whose STAGE selection (NUMBERS) it follows.
#
#   make test-vm [STAGE=NN]   the stages' tests in the VM, ending with the
#                             usual "N passed, N failed, N skipped"
#   make vm-shell             a root shell in the VM (Ctrl-A x leaves qemu)
#   make vm-kernel            fetch Debian's newest kernel for the VM

test-vm: deps build rootfs vm-deps
	@tests/run --vm $(NUMBERS)

vm-shell: build rootfs vm-deps
	@labs/vm/run.sh --shell

# qemu comes from the host's packages; the kernel is unpacked into
# labs/cache/vm, once (run.sh builds the initramfs when it needs to).
vm-deps:
	@bash labs/deps.sh vm
	@[ -e labs/cache/vm/vmlinuz ] || bash labs/vm/fetch-kernel.sh

vm-kernel:
	@bash labs/vm/fetch-kernel.sh

.PHONY: test-vm vm-shell vm-deps vm-kernel
