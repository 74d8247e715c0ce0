# One joblet daemon on every Linux client of a Nomad cluster, supervised by Nomad instead of
# systemd. Use it where Nomad already runs the fleet; hosts managed by a configuration tool do
# better with the .deb/.rpm and their systemd unit (see README, "A fleet").
#
#   nomad job run -var 'tarball=https://mirror.example.internal/joblet-0.1.0-linux-x64.tar.gz' \
#     -var 'tarball_sha256=<from SHA256SUMS>' packaging/nomad/joblet.nomad.hcl
#
# Needs the raw_exec driver enabled on the clients (plugin "raw_exec" { config { enabled = true } }):
# the daemon must run as root on the host itself, because it creates namespaces, cgroups, mounts,
# loop devices, bridges and an nftables table for every job. Each host keeps its own certificates
# and state in /opt/joblet (created on the first start by `joblet-maint configure`), so
# re-deploying or upgrading the job keeps jobs, volumes and certificates, as the packages do.
# Collect each host's /opt/joblet/config/rnx-config.yml once and merge the nodes into the
# clients' config (README, "Many nodes").

variable "tarball" {
  type        = string
  description = "URL of joblet-<version>-linux-x64.tar.gz on a mirror the clients can reach"
}

variable "tarball_sha256" {
  type        = string
  description = "its SHA-256, from the release's SHA256SUMS"
}

variable "port" {
  type    = number
  default = 50051
}

job "joblet" {
  type = "system" # one allocation per eligible client, new clients included

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  update {
    max_parallel = 1 # one host at a time: the others keep serving
    stagger      = "30s"
  }

  group "joblet" {
    restart {
      attempts = 5
      interval = "10m"
      delay    = "5s"
      mode     = "delay"
    }

    # First start on a host: certificates for its names and addresses, in /opt/joblet/config.
    # Later starts keep them (joblet-maint configure never replaces an existing CA).
    task "configure" {
      driver = "raw_exec"
      lifecycle {
        hook    = "prestart"
        sidecar = false
      }
      artifact {
        source      = var.tarball
        destination = "local/"
        options {
          checksum = "sha256:${var.tarball_sha256}"
        }
      }
      config {
        command = "/bin/sh"
        args = ["-c", <<-EOT
          set -e
          dir=$(echo ${NOMAD_TASK_DIR}/joblet-*-linux-x64)
          install -d -m 0755 /usr/local/lib/joblet
          # A new inode (install renames into place): a running daemon keeps its old executable.
          install -m 0755 "$dir/joblet" /usr/local/lib/joblet/joblet
          install -m 0755 "$dir/joblet-maint" /usr/local/lib/joblet/joblet-maint
          JOBLET_BIN=/usr/local/lib/joblet/joblet /usr/local/lib/joblet/joblet-maint configure \
            --address 0.0.0.0:${var.port} --host ${attr.unique.hostname}
        EOT
        ]
      }
    }

    task "daemon" {
      driver = "raw_exec"
      config {
        command = "/usr/local/lib/joblet/joblet"
        args    = ["serve", "--config", "/opt/joblet/config/joblet-config.yml"]
      }
      # SIGTERM: the daemon stops its jobs (their grace period), then releases cgroups, mounts,
      # loop devices, bridges and its nft table; the same 30 s as the systemd unit's TimeoutStopSec.
      kill_signal  = "SIGTERM"
      kill_timeout = "35s"
      resources {
        cpu    = 200 # the daemon itself; jobs are limited by their own cgroups, not by this
        memory = 256
      }
      service {
        name     = "joblet"
        provider = "nomad"
        port     = "grpc"
        check {
          type     = "tcp"
          interval = "15s"
          timeout  = "3s"
        }
      }
    }

    network {
      port "grpc" {
        static = var.port
      }
    }
  }
}
