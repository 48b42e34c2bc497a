# From bridgecrewio/checkov (Apache-2.0), tests/terraform/checks/resource/aws/test_EC2DetailedMonitoringEnabled.py::TestEC2PublicIP::test_failure2:
# the test's inline HCL string, written to this file with its indentation removed.
resource "aws_launch_template" "test" {
    monitoring = false
}
