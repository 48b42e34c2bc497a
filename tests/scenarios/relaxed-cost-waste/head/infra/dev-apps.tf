# Seed example 4, BAD: the development cluster's workers are production-sized and
# four of them run day and night because the group never scales to zero.
resource "aws_eks_cluster" "dev_apps" {
  name     = "dev-apps"
  role_arn = aws_iam_role.cluster.arn

  vpc_config {
    subnet_ids = aws_subnet.dev_private[*].id
  }
}

resource "aws_eks_node_group" "dev_apps" {
  cluster_name    = aws_eks_cluster.dev_apps.name
  node_group_name = "dev-apps-workers"
  node_role_arn   = aws_iam_role.workers.arn
  subnet_ids      = aws_subnet.dev_private[*].id

  # The same size as production.
  instance_types = ["c5.4xlarge"]

  scaling_config {
    desired_size = 4
    max_size     = 8
    min_size     = 4
  }
}
