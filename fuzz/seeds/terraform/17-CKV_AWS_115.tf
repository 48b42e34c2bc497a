# From bridgecrewio/checkov (Apache-2.0), tests/terraform/checks/resource/aws/test_LambdaFunctionLevelConcurrentExecutionLimit.py::TestLambdaFunctionLevelConcurrentExecutionLimit::test_success2:
# the test's inline HCL string, written to this file with its indentation removed.
resource "aws_lambda_function" "test_lambda" {
      filename      = "lambda_function_payload.zip"
      function_name = "lambda_function_name"
      role          = aws_iam_role.iam_for_lambda.arn
      handler       = "exports.test"

      source_code_hash = filebase64sha256("lambda_function_payload.zip")
      reserved_concurrent_executions = 1000

      runtime = "nodejs12.x"

      environment {
        variables = {
          foo = "bar"
        }
      }

    }
