resource "aws_eks_cluster" "dev" {
  name     = "dev-cluster"
  role_arn = aws_iam_role.eks.arn

  vpc_config {
    subnet_ids = aws_subnet.dev[*].id
  }
}

resource "aws_eks_node_group" "dev" {
  cluster_name    = aws_eks_cluster.dev.name
  node_group_name = "dev-nodes"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.dev[*].id

  # Over-provisioned for development
  instance_types = ["m5.2xlarge"]  # Same as production

  scaling_config {
    desired_size = 5  # Always running 5 large instances
    max_size     = 10
    min_size     = 5  # Never scales down
  }
}

# Cost: ~$1,500/month running 24/7
