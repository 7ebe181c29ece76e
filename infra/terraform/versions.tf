# The document store of DESIGN.md section 5: one private, versioned,
# encrypted S3 bucket and an IAM policy that reaches that bucket only.
#
#   cd infra/terraform
#   terraform init
#   terraform apply -var bucket_name=acme-baton-documents -var region=eu-central-1
#
# Then attach the policy to the role or user the Baton processes run as
# (var.attach_to_role does it for a role) and set, for web and workers:
#   BATON_STORAGE=s3  BATON_S3_BUCKET=<bucket>  BATON_S3_REGION=<region>
#   BATON_S3_KMS_KEY_ID=<kms_key_arn output>   (only with create_kms_key)
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = merge({ application = "baton", component = "documents" }, var.tags)
  }
}
